/** The handler's view of one delivery: its event, and settling verbs that act once (the first verb wins). */
import type { Metadata } from '../metadata.ts';
import type { EventDelivery, StoredDelivery } from './events.ts';

/** Anything with a `then`: a handler's or codec's result that must be awaited. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

export class Delivery<T = unknown> implements EventDelivery<T> {
  readonly stored: StoredDelivery;
  readonly data: T;
  /** Whether a verb settled it (the consumer then leaves it alone). */
  settled = false;
  readonly #terminate: (d: StoredDelivery, reason: string) => Promise<void>;

  constructor(stored: StoredDelivery, data: T, terminate: (d: StoredDelivery, reason: string) => Promise<void>) {
    this.stored = stored;
    this.data = data;
    this.#terminate = terminate;
  }

  get topic(): string {
    return this.stored.topic;
  }
  get sequence(): number {
    return this.stored.sequence;
  }
  get id(): string {
    return this.stored.id;
  }
  get key(): string | undefined {
    return this.stored.key;
  }
  get time(): Date {
    return new Date(this.stored.time);
  }
  get metadata(): Metadata {
    return this.stored.metadata;
  }
  get deliveryCount(): number {
    return this.stored.deliveryCount;
  }

  /** Marks it settled; false when it was already. */
  take(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  ack(): Promise<void> {
    return this.take() ? this.stored.ack() : Promise.resolve();
  }

  nak(options?: { delayMs?: number }): Promise<void> {
    return this.take() ? this.stored.nak(options?.delayMs ?? 0) : Promise.resolve();
  }

  term(reason?: string): Promise<void> {
    return this.take() ? this.#terminate(this.stored, `terminated: ${reason ?? 'no reason given'}`) : Promise.resolve();
  }

  working(): Promise<void> {
    return this.stored.working();
  }
}
