import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';

// Anyone on the network decides how often a registry sees a bad record, so what it logs about them must not
// scale with the attacker: each message is written at once the first time, then at most once per interval, with
// how many were suppressed in between.

/** How often one throttled message is written at most. */
export const LOG_INTERVAL_MS = 30_000;

/** The number of distinct messages a throttle tracks; they are fixed strings in code, so this is never reached. */
const MAX_MESSAGES = 64;

interface Slot {
  next: number;
  suppressed: number;
}

export class LogThrottle {
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #slots = new Map<string, Slot>();

  constructor(log: Logger, clock: Clock, intervalMs = LOG_INTERVAL_MS) {
    this.#log = log;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  debug(fields: Record<string, unknown>, message: string): void {
    this.#write('debug', fields, message);
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.#write('warn', fields, message);
  }

  #write(level: 'debug' | 'warn', fields: Record<string, unknown>, message: string): void {
    const now = this.#clock.now();
    const slot = this.#slots.get(message);
    if (slot !== undefined && now < slot.next) {
      slot.suppressed++;
      return;
    }
    const suppressed = slot?.suppressed ?? 0;
    if (slot === undefined && this.#slots.size >= MAX_MESSAGES) this.#slots.clear();
    this.#slots.set(message, { next: now + this.#intervalMs, suppressed: 0 });
    this.#log[level](suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
