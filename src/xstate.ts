// micromesh/xstate: xstate machines as actor behaviours. A subpath of its own, so the main entry's types never
// reach into xstate's (whose declarations need `skipLibCheck` under `exactOptionalPropertyTypes`).
export { fromMachine } from './actors/xstate.ts';
export type { FromMachineOptions } from './actors/xstate.ts';
