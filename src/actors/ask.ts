import { formatAddress } from './address.ts';
import { type Clock, processClock } from './clock.ts';
import { ActorError, ActorErrorCodes, ActorFailedError, AskTimeoutError, InvalidTimeoutError } from './errors.ts';
import { BaseRef, type Meta, type Watcher } from './refs.ts';
import { type TimeoutList, TimeoutLists } from './timeout-lists.ts';
import { RandomTokens } from './token.ts';
import type { AskOptions, ReplyTo, SendResult, SerializedRef } from './types.ts';

/** What {@link AskRegistry.create} takes: an ask's own options, plus the rejection the mesh wants on timeout. */
export interface AskCreateOptions {
  /** How long to wait for the reply: a finite number of ms >= 0, else `create` throws INVALID_TIMEOUT. @default 5000 */
  timeoutMs?: number;
  /** Aborting rejects the ask at once with ASK_ABORTED. */
  signal?: AbortSignal;
  /** Asked on timeout for the rejection to use instead of an AskTimeoutError (a mesh call's own TIMEOUT). */
  onTimeout?: { timedOut(): unknown };
}

/** A reply that fails the ask it answers (a remote error, or a failure of the asked actor). */
export class AskFailure {
  constructor(readonly error: unknown) {}
}

/**
 * The temporary reply endpoint of one ask: a ref whose first message settles the promise. It lives in a
 * per-timeout linked list (O(1) insert and removal, one timer per distinct timeout) instead of a timer per
 * ask; it gets an address `/temp/<random token>` (and a place in the registry) only if something serialises it.
 */
export class AskEndpoint extends BaseRef {
  resolve!: (value: unknown) => void;
  reject!: (reason: unknown) => void;
  readonly promise: Promise<unknown>;
  settled = false;
  deadline = 0;
  prev: AskEndpoint | undefined = undefined;
  next: AskEndpoint | undefined = undefined;
  list: TimeoutList<AskEndpoint> | undefined = undefined;
  /** The unguessable reply token, '' until something serialises the endpoint. */
  id = '';
  /** When set, asked on timeout for the rejection to use instead of an AskTimeoutError (see `create`'s `onTimeout`). */
  onTimeout: { timedOut(): unknown } | undefined = undefined;
  /** The node id the ask was sent to, set by the mesh: replies are accepted only from this node. */
  replier: string | undefined = undefined;
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

/**
 * All pending asks of one system: creation, timeouts, late-reply counting, lookup by reply token for remote replies.
 * Every timer runs on the system's clock. A timeout list that is empty when its timer fires is dropped, so the
 * lists follow the distinct timeouts in flight, not every timeout ever used. (Dropping it when its last ask
 * settles instead would cost a timer armed and cleared per ask for a caller with one ask at a time.)
 */
export class AskRegistry {
  readonly #lists: TimeoutLists<AskEndpoint>;
  readonly #byId = new Map<string, AskEndpoint>();
  readonly #tokens = new RandomTokens();
  /** Asks not yet settled. */
  live = 0;
  lateReplies = 0;
  timeouts = 0;

  constructor(
    readonly nodeId: string,
    readonly clock: Clock = processClock,
  ) {
    // Failing an endpoint settles it, which takes it off its list.
    this.#lists = new TimeoutLists<AskEndpoint>(clock, (ep) => {
      this.timeouts++;
      ep.fail(ep.onTimeout !== undefined ? ep.onTimeout.timedOut() : new AskTimeoutError(ep.target, ep.messageType, ep.timeoutMs));
    });
  }

  /** A pending ask; throws an INVALID_TIMEOUT ActorError when `timeoutMs` is not a finite number >= 0. */
  create(target: string, messageType: string, options: AskCreateOptions | undefined): AskEndpoint {
    const timeoutMs = options?.timeoutMs ?? 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new InvalidTimeoutError(timeoutMs);
    const ep = new AskEndpoint(this, target, messageType, timeoutMs);
    if (options !== undefined) {
      if (options.onTimeout !== undefined) ep.onTimeout = options.onTimeout;
      if (options.signal !== undefined) ep.onAbort(options.signal);
    }
    if (ep.settled) return ep;
    this.live++;
    this.#lists.add(ep, timeoutMs);
    return ep;
  }

  /** Token under which a serialised endpoint is found again (drawn on first use). */
  idOf(ep: AskEndpoint): string {
    if (ep.id === '') {
      ep.id = this.#tokens.next();
      if (!ep.settled) this.#byId.set(ep.id, ep);
    }
    return ep.id;
  }

  byId(id: string): AskEndpoint | undefined {
    return this.#byId.get(id);
  }

  get registered(): number {
    return this.#byId.size;
  }

  /** Timeout lists held (for tests: it returns to 0 once no ask is pending and their timers have run). */
  get timeoutLists(): number {
    return this.#lists.size;
  }

  settle(ep: AskEndpoint): void {
    ep.settled = true;
    ep.cleanup();
    if (!this.#lists.remove(ep)) return;
    this.live--;
    if (ep.id !== '') this.#byId.delete(ep.id);
  }

  /** Fails every pending ask (system shutdown) and drops every timeout list with its timer. */
  failAll(error: unknown): void {
    this.#lists.clear((ep) => ep.fail(error));
  }
}
