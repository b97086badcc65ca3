import { Deque } from './deque.ts';
import { DeadLetterReason } from './event-stream.ts';
import type { Meta } from './refs.ts';
import type { OverflowPolicy, SendResult } from './types.ts';

/** Marker for a graceful stop: queued in the user lane, so everything before it is handled first. */
export const POISON = Symbol('micromesh.poison');

/** Where a mailbox reports the messages it drops. */
export interface DeadLetterSink {
  mailboxDeadLetter(message: unknown, meta: Meta, reason: DeadLetterReason): void;
}

interface Waiter {
  message: unknown;
  meta: Meta;
  resolve: (ok: boolean) => void;
}

/**
 * An actor's two lanes. The system lane is unbounded and never drops; the user lane is bounded, and a message
 * offered to a full one meets the overflow policy: dropped (newest or oldest, as a dead letter), rejected (the
 * send returns false), or held as a backpressure waiter whose promise resolves once it got in. The lanes are
 * allocated on first use, so an idle actor carries none.
 */
export class Mailbox<S> {
  #user: Deque<unknown, Meta> | undefined;
  #sys: Deque<S> | undefined;
  #waiters: Deque<Waiter> | undefined;
  /** Meta of the message most recently taken by `takeUser`. */
  lastMeta: Meta = undefined;

  constructor(
    readonly capacity: number,
    readonly overflow: OverflowPolicy,
    readonly sink: DeadLetterSink,
  ) {}

  /** Offers a user message: true if queued, false if dropped or rejected, a promise under backpressure. */
  offer(message: unknown, meta: Meta): SendResult {
    let q = this.#user;
    if (q === undefined) q = this.#user = new Deque(16);
    if (q.length < this.capacity) {
      q.push(message, meta);
      return true;
    }
    switch (this.overflow) {
      case 'drop-oldest': {
        const old = q.shift();
        this.sink.mailboxDeadLetter(old, q.lastMeta, DeadLetterReason.Overflow);
        q.push(message, meta);
        return true;
      }
      case 'reject':
        this.sink.mailboxDeadLetter(message, meta, DeadLetterReason.Rejected);
        return false;
      case 'backpressure': {
        const waiters = this.#waiters ?? (this.#waiters = new Deque(4));
        return new Promise<boolean>((resolve) => waiters.push({ message, meta, resolve }, undefined));
      }
      default:
        this.sink.mailboxDeadLetter(message, meta, DeadLetterReason.Overflow);
        return false;
    }
  }

  /** Queues the graceful-stop marker past the bound: a stop is never dropped. */
  offerPoison(): void {
    (this.#user ?? (this.#user = new Deque(16))).push(POISON, undefined);
  }

  pushSystem(message: S): void {
    (this.#sys ?? (this.#sys = new Deque(4))).push(message, undefined);
  }

  get hasSystem(): boolean {
    return this.#sys !== undefined && this.#sys.length > 0;
  }

  get userLength(): number {
    return this.#user === undefined ? 0 : this.#user.length;
  }

  takeSystem(): S | undefined {
    return this.#sys?.shift();
  }

  /** Takes the oldest user message (its meta lands in `lastMeta`) and lets one backpressure waiter in. */
  takeUser(): unknown {
    const q = this.#user as Deque<unknown, Meta>;
    const message = q.shift();
    this.lastMeta = q.lastMeta;
    const waiters = this.#waiters;
    if (waiters !== undefined && waiters.length > 0) {
      const w = waiters.shift() as Waiter;
      q.push(w.message, w.meta);
      w.resolve(true);
    }
    return message;
  }

  /** Turns every queued user message and waiter into a dead letter (the actor stopped). */
  deadLetterAll(): void {
    this.#user?.drain((message, meta) => {
      if (message !== POISON) this.sink.mailboxDeadLetter(message, meta, DeadLetterReason.Unprocessed);
    });
    this.#waiters?.drain((w) => {
      this.sink.mailboxDeadLetter(w.message, w.meta, DeadLetterReason.Unprocessed);
      w.resolve(false);
    });
    this.lastMeta = undefined;
  }

  clearSystem(): void {
    this.#sys = undefined;
  }
}
