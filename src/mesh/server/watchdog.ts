import type { Clock } from '../../actors/clock.ts';
import type { ActorRef, Logger } from '../../actors/index.ts';
import type { SupervisorMessage } from '../../supervisor/index.ts';
import { MicroError } from '../errors.ts';
import type { InstanceSlot } from './instance.ts';
import type { StuckPolicy } from './serve-options.ts';

export interface StuckWatchdogOptions extends StuckPolicy {
  service: string;
  slots: readonly InstanceSlot[];
  supervisor: ActorRef<SupervisorMessage>;
  clock: Clock;
  log: Logger;
}

/**
 * Finds instances stuck in a handler: busy with a call whose deadline passed more than `graceMs` ago. Each is
 * reported (warn) and, by default, restarted through its supervisor, so a service whose only instance hangs
 * recovers by itself instead of answering OVERLOADED forever. The stuck call is answered with TIMEOUT.
 */
export class StuckWatchdog {
  readonly #o: Required<StuckPolicy> & StuckWatchdogOptions;
  #timer: unknown;
  #stopped = false;
  /** Instances found stuck so far. */
  stuck = 0;

  constructor(options: StuckWatchdogOptions) {
    this.#o = { action: 'restart', graceMs: 1000, checkEveryMs: 1000, ...options };
  }

  start(): void {
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.check();
      this.#arm();
    }, this.#o.checkEveryMs);
  }

  /** Checks every instance once (the timer calls this; tests may too). */
  check(): void {
    const now = this.#o.clock.now();
    for (const slot of this.#o.slots) {
      const call = slot.current;
      if (call === undefined || now < call.deadlineAt + this.#o.graceMs) continue;
      slot.current = undefined;
      this.stuck++;
      const busyMs = Math.round(this.#o.clock.now() - slot.since);
      this.#o.log.warn(
        { service: this.#o.service, instance: slot.id, endpoint: call.endpoint, busyMs, action: this.#o.action },
        'instance stuck in a handler past its call deadline',
      );
      call.fail(new MicroError('TIMEOUT', `${this.#o.service} ${call.endpoint}: handler still running past the deadline`, { id: this.#o.service }));
      if (this.#o.action === 'restart') {
        this.#o.supervisor.ask({ type: 'restart-child', id: slot.id }).catch(() => {});
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#o.clock.clearTimeout(this.#timer);
  }
}
