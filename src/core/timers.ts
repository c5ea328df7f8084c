// timers.ts: node's own timer functions, captured before patch mode wraps the globals, for greenstack's internal use.
//
// In patch mode a timer or tick set inside a fiber runs its callback in a fiber
// (patch/continuations.ts). greenstack's own machinery (the hub's turn, waiter
// timeouts, socket bookkeeping) must not: it uses these.
const g = globalThis;

export const setTimeout = g.setTimeout;
export const clearTimeout = g.clearTimeout;
export const setInterval = g.setInterval;
export const clearInterval = g.clearInterval;
export const setImmediate = g.setImmediate;
export const clearImmediate = g.clearImmediate;
export const nextTick: typeof process.nextTick = process.nextTick;
