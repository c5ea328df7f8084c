// internal.ts: introspection for greenstack's own tests and benchmarks; not a public API.
export { liveFibers } from './fiber.js';
export { hub } from './hub.js';
export { binding } from './native.js';
export { runtimeStats } from './runtime.js';
export { backendStatus } from './backend.js';
export { cpuSlots, setInPlaceCalls } from '../io/cooperative.js';
