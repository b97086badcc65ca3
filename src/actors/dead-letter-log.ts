import type { Clock } from './clock.ts';
import { messageTypeOf } from './errors.ts';
import type { DeadLetterReason } from './event-stream.ts';
import type { Logger } from './logger.ts';

/**
 * Logs dead letters at most `perSecond` times per one-second window of the clock; the rest are counted and
 * summarised in one line when the next window opens. (Every dead letter is still counted and published.)
 */
export class DeadLetterLog {
  #windowStart = Number.NEGATIVE_INFINITY;
  #logged = 0;
  #suppressed = 0;

  constructor(
    readonly log: Logger,
    readonly clock: Clock,
    readonly perSecond: number,
  ) {}

  record(recipient: string, message: unknown, reason: DeadLetterReason): void {
    const now = this.clock.now();
    if (now - this.#windowStart >= 1000) {
      if (this.#suppressed > 0) this.log.info({ suppressed: this.#suppressed }, 'dead letters not logged in the last window');
      this.#windowStart = now;
      this.#logged = 0;
      this.#suppressed = 0;
    }
    if (this.#logged < this.perSecond) {
      this.#logged++;
      this.log.debug({ recipient, messageType: messageTypeOf(message), reason }, 'dead letter');
    } else this.#suppressed++;
  }

  /** Dead letters not logged in the current window. */
  get suppressed(): number {
    return this.#suppressed;
  }
}
