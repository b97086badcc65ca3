import type { Middleware } from '../middleware/middleware.ts';
import type { SingletonOptions } from '../singleton.ts';

/** What to do about an instance still busy with a call whose deadline passed `graceMs` ago. */
export interface StuckPolicy {
  /** 'restart' reports it and restarts the instance (its queued calls wait for the new one); 'report' only logs. @default 'restart' */
  action?: 'restart' | 'report';
  /** How long past the call's deadline an instance may stay busy. @default 1000 */
  graceMs?: number;
  /** How often instances are checked. @default 1000 */
  checkEveryMs?: number;
}

export interface ServeOptions {
  /** Instance actors, each handling one request at a time. @default 1 */
  instances?: number;
  /** Restarts of failed instances allowed per window before the service's supervisor is restarted. @default 100 in 1000 ms */
  maxRestarts?: number;
  withinMs?: number;
  /** Credits per stream direction. @default 32 */
  streamWindow?: number;
  /** Middleware of this service only, inside the node's. */
  middleware?: readonly Middleware[];
  /** An instance stuck in a handler past its call's deadline. */
  stuck?: StuckPolicy;
  /** How long a stopping instance may take to finish its handler before it is forced. @default 1000 */
  instanceShutdownMs?: number;
  /**
   * One active node for this service across the mesh: nodes campaign on `node.sync` (election `singleton:<name>`),
   * the leader serves and registers it, the others stand by and take over when it stops or dies. `serve` then
   * resolves at once, active or not. Needs a shared sync back end (`sync: 'redis://…'`) to span processes.
   * @default false
   */
  singleton?: boolean | SingletonOptions;
}

export function defaultServeOptions() {
  return {
    instances: 1,
    maxRestarts: 100,
    withinMs: 1000,
    streamWindow: 32,
    middleware: undefined as readonly Middleware[] | undefined,
    stuck: {} as StuckPolicy,
    instanceShutdownMs: 1000,
  };
}
