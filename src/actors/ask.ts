import { formatAddress } from './address.ts';
import { type Clock, processClock } from './clock.ts';
import { ActorFailedError, AskTimeoutError, ActorError, ActorErrorCodes } from './errors.ts';
import { BaseRef, type Meta, type Watcher } from './refs.ts';
import type { AskOptions, ReplyTo, SendResult, SerializedRef } from './types.ts';

/** A reply that fails the ask it answers (a remote error, or a failure of the asked actor). */
export class AskFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The temporary reply endpoint of one ask: a ref whose first message settles the promise. It lives in a
 * per-timeout linked list (O(1) insert and removal, one timer per distinct timeout) instead of a timer per
 * ask; it gets an address (and a place in the registry) only if something serialises it.
 */
export class AskEndpoint extends BaseRef {
  resolve!: (value: unknown) => void;
  reject!: (reason: unknown) => void;
  readonly promise: Promise<unknown>;
  settled = false;
  deadline = 0;
  prev: AskEndpoint | undefined = undefined;
  next: AskEndpoint | undefined = undefined;
  list: TimeoutList | undefined = undefined;
  id = 0;
  /** When set, asked on timeout for the rejection to use instead of an AskTimeoutError. */
  onTimeout: { timedOut(): unknown } | undefined = undefined;
  #abort: (() => void) | undefined = undefined;

  constructor(
    readonly registry: AskRegistry,
    readonly target: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super();
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get path(): string {
    return `/temp/${this.registry.idOf(this)}`;
  }

  get address(): string {
    return formatAddress(this.registry.nodeId, this.path);
  }

  deliver(message: unknown, _meta: Meta): SendResult {
    if (this.settled) {
      this.registry.lateReplies++;
      return false;
    }
    this.registry.settle(this);
    if (message instanceof AskFailure) this.reject(message.error);
    else this.resolve(message);
    return true;
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.registry.settle(this);
    this.reject(error);
  }

  failFromTarget(cause: unknown): void {
    this.fail(cause instanceof ActorError ? cause : new ActorFailedError(this.target, cause));
  }

  onAbort(signal: AbortSignal): void {
    const abort = () => this.fail(new ActorError(ActorErrorCodes.ASK_ABORTED, `ask to ${this.target} aborted`, { cause: signal.reason }));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    this.#abort = () => signal.removeEventListener('abort', abort);
  }

  cleanup(): void {
    this.#abort?.();
  }

  addWatcher(_w: Watcher): void {}
  removeWatcher(_w: Watcher): void {}
  ask<Q>(_message: Q, _options?: AskOptions): Promise<ReplyTo<unknown, Q>> {
    return Promise.reject(new ActorError(ActorErrorCodes.ACTOR_STOPPED, 'a reply endpoint cannot be asked'));
  }
  toJSON(): SerializedRef {
    return { $ref: this.address };
  }
}

class TimeoutList {
  head: AskEndpoint | undefined = undefined;
  tail: AskEndpoint | undefined = undefined;
  timer: unknown = undefined;
  timerAt = 0;
  constructor(readonly timeoutMs: number) {}
}

/** All pending asks of one system: creation, timeouts on the system's clock, late-reply counting, lookup by id for remote replies. */
export class AskRegistry {
  readonly #lists = new Map<number, TimeoutList>();
  readonly #byId = new Map<number, AskEndpoint>();
  #nextId = 1;
  /** Asks not yet settled. */
  live = 0;
  lateReplies = 0;
  timeouts = 0;

  constructor(
    readonly nodeId: string,
    readonly clock: Clock = processClock,
  ) {}

  create(target: string, messageType: string, options: AskOptions | undefined): AskEndpoint {
    const timeoutMs = options?.timeoutMs ?? 5000;
    const ep = new AskEndpoint(this, target, messageType, timeoutMs);
    this.live++;
    this.#enlist(ep, timeoutMs);
    if (options?.signal !== undefined) ep.onAbort(options.signal);
    return ep;
  }

  /** Id under which a serialised endpoint is found again (allocated on first use). */
  idOf(ep: AskEndpoint): number {
    if (ep.id === 0) {
      ep.id = this.#nextId++;
      if (!ep.settled) this.#byId.set(ep.id, ep);
    }
    return ep.id;
  }

  byId(id: number): AskEndpoint | undefined {
    return this.#byId.get(id);
  }

  get registered(): number {
    return this.#byId.size;
  }

  settle(ep: AskEndpoint): void {
    ep.settled = true;
    this.live--;
    if (ep.id !== 0) this.#byId.delete(ep.id);
    ep.cleanup();
    const list = ep.list;
    if (list === undefined) return;
    if (ep.prev !== undefined) ep.prev.next = ep.next;
    else list.head = ep.next;
    if (ep.next !== undefined) ep.next.prev = ep.prev;
    else list.tail = ep.prev;
    ep.prev = ep.next = ep.list = undefined;
  }

  #enlist(ep: AskEndpoint, timeoutMs: number): void {
    let list = this.#lists.get(timeoutMs);
    if (list === undefined) {
      list = new TimeoutList(timeoutMs);
      this.#lists.set(timeoutMs, list);
    }
    ep.deadline = this.clock.now() + timeoutMs;
    ep.list = list;
    ep.prev = list.tail;
    if (list.tail !== undefined) list.tail.next = ep;
    else list.head = ep;
    list.tail = ep;
    if (list.timer === undefined) this.#arm(list);
  }

  #arm(list: TimeoutList): void {
    const head = list.head;
    if (head === undefined) {
      list.timer = undefined;
      return;
    }
    const delay = Math.max(0, Math.ceil(head.deadline - this.clock.now()));
    list.timerAt = head.deadline;
    list.timer = this.clock.setTimeout(() => this.#expire(list), delay);
  }

  #expire(list: TimeoutList): void {
    const now = this.clock.now();
    let ep = list.head;
    while (ep !== undefined && ep.deadline <= now + 1) {
      const next = ep.next;
      this.timeouts++;
      ep.fail(ep.onTimeout !== undefined ? ep.onTimeout.timedOut() : new AskTimeoutError(ep.target, ep.messageType, ep.timeoutMs));
      ep = next;
    }
    this.#arm(list);
  }

  /** Fails every pending ask (system shutdown). */
  failAll(error: unknown): void {
    for (const list of this.#lists.values()) {
      while (list.head !== undefined) list.head.fail(error);
      if (list.timer !== undefined) this.clock.clearTimeout(list.timer);
      list.timer = undefined;
    }
  }
}
