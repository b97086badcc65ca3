import type { ChildInfo, Directive, Failure, StopReason, SupervisionControl, SupervisorStrategy } from '../actors/index.ts';
import { BackoffTracker, type BackoffOptions } from './backoff.ts';
import { RestartIntensity } from './intensity.ts';

/** Decides what to do about a failure; the default restarts. */
export type Decider = (error: unknown, child: ChildInfo) => Directive;

export interface StrategyOptions {
  /** Restarts allowed within `withinMs` before the supervisor gives up and fails. @default 3 */
  maxRestarts?: number;
  /** The sliding window of restart intensity. @default 5000 */
  withinMs?: number;
  /** @default () => 'restart' */
  decider?: Decider;
  /** Delay restarts exponentially; messages meanwhile wait (bounded) in the child's mailbox. @default none */
  backoff?: BackoffOptions;
}

export function defaultStrategyOptions(): Required<Omit<StrategyOptions, 'backoff'>> {
  return { maxRestarts: 3, withinMs: 5000, decider: () => 'restart' };
}

/** Which children a restart of `failed` takes along. */
export type RestartScope = (children: ChildInfo[], failed: ChildInfo) => ChildInfo[];

interface SupervisorState {
  intensity: RestartIntensity;
  backoff: BackoffTracker | undefined;
}

/**
 * The shared machinery of one_for_one, one_for_all and rest_for_one: decide, apply the child's restart
 * type, count intensity, compute backoff, then restart the scope (temporary siblings are stopped, never restarted).
 */
export class ScopedStrategy implements SupervisorStrategy {
  readonly #states = new WeakMap<SupervisionControl, SupervisorState>();
  readonly #options: Required<Omit<StrategyOptions, 'backoff'>> & Pick<StrategyOptions, 'backoff'>;

  constructor(
    readonly kind: 'one_for_one' | 'one_for_all' | 'rest_for_one',
    readonly scope: RestartScope,
    options: StrategyOptions = {},
  ) {
    this.#options = { ...defaultStrategyOptions(), ...options };
  }

  #state(control: SupervisionControl): SupervisorState {
    let s = this.#states.get(control);
    if (s === undefined) {
      s = {
        intensity: new RestartIntensity(this.#options.maxRestarts, this.#options.withinMs),
        backoff: this.#options.backoff === undefined ? undefined : new BackoffTracker(this.#options.backoff),
      };
      this.#states.set(control, s);
    }
    return s;
  }

  handleFailure(control: SupervisionControl, child: ChildInfo, failure: Failure): void {
    let directive = this.#options.decider(failure.error, child);
    if (directive === 'restart' && child.restart === 'temporary') directive = 'stop';
    switch (directive) {
      case 'resume':
        return control.resume(child);
      case 'stop':
        return control.stop(child);
      case 'escalate':
        return control.escalate(failure);
      case 'restart':
        return this.#restart(control, child, failure);
    }
  }

  handleStopped(control: SupervisionControl, child: ChildInfo, reason: StopReason): void {
    if (child.restart !== 'permanent' || reason.type !== 'normal' || reason.self !== true) return;
    this.#restart(control, child, { error: new Error(`permanent child ${child.name} exited`), origin: child.ref, phase: 'stop' });
  }

  #restart(control: SupervisionControl, child: ChildInfo, failure: Failure): void {
    const state = this.#state(control);
    const now = control.now();
    if (!state.intensity.record(now)) {
      control.log.error(
        { supervisor: control.self.path, child: child.name, maxRestarts: this.#options.maxRestarts, withinMs: this.#options.withinMs },
        'restart intensity exceeded; stopping children and failing the supervisor',
      );
      return control.escalate(failure);
    }
    const delayMs = state.backoff?.next(child.name, child.startedAt, now) ?? 0;
    const alive = control.children();
    const targets = this.scope(alive, child);
    const restartable: ChildInfo[] = [];
    for (const t of targets) {
      if (t !== child && t.restart === 'temporary') control.stop(t);
      else if (alive.includes(t)) restartable.push(t);
    }
    if (!alive.includes(child)) control.respawn(child);
    control.restart(restartable, { delayMs, reason: failure.error });
  }
}
