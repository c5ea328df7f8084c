// fibers-preload.ts: greenstack/fibers/register (`node -r greenstack/fibers/register app.js`): registers the 'fibers' aliases on load.
import { registerFibersAlias } from './fibers-register.js';

registerFibersAlias();

export { registerFibersAlias };
