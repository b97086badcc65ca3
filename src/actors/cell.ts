import { AskEndpoint } from './ask.ts';
import { CellContext } from './context.ts';
import { Children } from './children.ts';
import { Mailbox, POISON } from './mailbox.ts';
import { DeadLetterReason } from './event-stream.ts';
import { LocalRef } from './local-ref.ts';
import { messageTypeOf, RemoteDeniedError } from './errors.ts';
import { Envelope, type Meta, senderOf, type Watcher } from './refs.ts';
import type { SystemServices } from './services.ts';
import type { ChildInfo, Failure, FailurePhase, SupervisorStrategy } from './strategy.ts';
import { finalize, forceStop, stopChildren, terminate } from './cell-stop.ts';
import { type CellOptions, Status } from './cell-status.ts';
import { deliverTerminated } from './cell-watch.ts';
import { StopRequest } from './stop-request.ts';
import { ActorTimers } from './timers.ts';
import type { Actor, ActorFactory, AnyRef, RestartType, SendResult, StopReason } from './types.ts';

export { type CellOptions, Status };

type SystemMessage =
  | { kind: 'stop'; reason: StopReason }
  | { kind: 'child-failed'; child: Cell; failure: Failure }
  | { kind: 'terminated'; ref: AnyRef; reason: StopReason };

/**
 * One actor: its mailbox (a system lane that always drains first and a bounded user lane), its current
 * behaviour instance, children, watchers and timers. It handles one message at a time; an async handler
 * holds the next message until it settles. A failure suspends it and becomes a message to its parent.
 */
export class Cell<M = unknown> implements Watcher, ChildInfo {
  scheduled = false;
  status: Status = Status.New;
  busy = false;
  readonly ref: LocalRef<M>;
  readonly uid: number;
  incarnation: number;
  restarts = 0;
  startedAt = 0;
  startIndex = 0;
  currentMeta: Meta = undefined;
  actor: Actor<M> | undefined = undefined;
  stopReason: StopReason | undefined = undefined;
  lastFailure: unknown = undefined;
  readonly ctx: CellContext<M>;
  #path: string | undefined;
  readonly mailbox: Mailbox<SystemMessage>;
  readonly children = new Children<Cell>();
  watchers: Set<Watcher> | undefined;
  watching: Set<AnyRef> | undefined;
  #timers: ActorTimers<M> | undefined;
  /** Bumped when a handler in flight is abandoned or the actor restarts or stops: a late settle is ignored. */
  token = 0;
  #idle: Array<() => void> | undefined;
  #started: Array<() => void> | undefined;
  #starting = false;
  stopRequest: StopRequest | undefined = undefined;

  constructor(
    readonly system: SystemServices,
    readonly parent: Cell | undefined,
    readonly name: string,
    readonly factory: ActorFactory<M>,
    readonly options: CellOptions,
    pathOverride?: string,
  ) {
    this.uid = this.incarnation = system.nextIncarnation();
    this.mailbox = new Mailbox<SystemMessage>(options.capacity, options.overflow, this);
    this.ref = new LocalRef(this, system.asks);
    this.ctx = new CellContext(this);
    this.#path = pathOverride;
  }

  get path(): string {
    if (this.#path === undefined) this.#path = this.parent === undefined || this.parent.path === '/' ? `/${this.name}` : `${this.parent.path}/${this.name}`;
    return this.#path;
  }

  get restart(): RestartType {
    return this.options.restart;
  }

  get shutdownMs(): number {
    return this.options.shutdownMs;
  }

  get strategy(): SupervisorStrategy {
    return this.actor?.supervisorStrategy ?? this.options.strategy ?? this.system.defaultStrategy;
  }

  get timers(): ActorTimers<M> {
    if (this.#timers === undefined) {
      this.#timers = new ActorTimers<M>(
        this.incarnation,
        (message, key, incarnation) => {
          this.enqueue(message, new Envelope(undefined, undefined, incarnation, key));
        },
        this.system.clock,
      );
    }
    return this.#timers;
  }

  // ---- sending -------------------------------------------------------------------------------------

  enqueue(message: unknown, meta: Meta): SendResult {
    if (this.status >= Status.Stopping) {
      this.system.deadLetter(this.path, message, meta, DeadLetterReason.Stopped);
      return false;
    }
    const result = this.mailbox.offer(message, meta);
    if (result === true && !this.scheduled && this.status === Status.Running && !this.busy) this.system.dispatcher.schedule(this);
    return result;
  }

  /**
   * As `enqueue`, but an idle actor (running, both lanes empty, no handler in flight, not scheduled) handles the
   * message at once on the caller's stack when the dispatcher grants it (see `Dispatcher.claim`): what a run on the
   * next microtask would do first, without the hop. For callers on an I/O callback.
   */
  enqueueOrRun(message: unknown, meta: Meta): SendResult {
    const mailbox = this.mailbox;
    const dispatcher = this.system.dispatcher;
    // The claim comes last: it is granted (and must be released) only when the actor is idle.
    const idle = !this.scheduled && !this.busy && this.status === Status.Running && mailbox.userLength === 0 && !mailbox.hasSystem && mailbox.capacity >= 1;
    if (!idle || !dispatcher.claim()) return this.enqueue(message, meta);
    // Marked scheduled while it runs, as in a dispatcher run: a message sent to it meanwhile is queued, not run.
    this.scheduled = true;
    try {
      this.#invoke(message, meta);
    } finally {
      this.scheduled = false;
      dispatcher.release();
    }
    if (this.hasWork()) dispatcher.schedule(this);
    return true;
  }

  mailboxDeadLetter(message: unknown, meta: Meta, reason: DeadLetterReason): void {
    this.system.deadLetter(this.path, message, meta, reason);
  }

  /** Graceful stop: handled after everything already queued. */
  enqueuePoison(): void {
    if (this.status >= Status.Stopping) return;
    this.mailbox.offerPoison();
    if (!this.scheduled && this.status === Status.Running && !this.busy) this.system.dispatcher.schedule(this);
  }

  sendSystem(message: SystemMessage): void {
    if (this.status === Status.Stopped) return;
    this.mailbox.pushSystem(message);
    if (!this.scheduled && !this.busy) this.system.dispatcher.schedule(this);
  }

  // ---- the dispatcher's side -----------------------------------------------------------------------

  run(): number {
    if (this.busy) return 0;
    const mailbox = this.mailbox;
    if (mailbox.hasSystem) this.#drainSystem();
    if (this.status === Status.New) this.create(undefined);
    if (this.status !== Status.Running || this.busy) return 0;
    const max = this.options.throughput;
    let n = 0;
    while (n < max && mailbox.userLength > 0) {
      const message = mailbox.takeUser();
      n++;
      this.#invoke(message, mailbox.lastMeta);
      if (this.status !== Status.Running || this.busy) break;
      if (mailbox.hasSystem) {
        this.#drainSystem();
        if (this.status !== Status.Running || this.busy) break;
      }
    }
    return n;
  }

  hasWork(): boolean {
    if (this.busy || this.status === Status.Stopped) return false;
    if (this.mailbox.hasSystem) return true;
    if (this.status === Status.New) return true;
    return this.status === Status.Running && this.mailbox.userLength > 0;
  }

  #invoke(message: unknown, meta: Meta): void {
    if (meta instanceof Envelope) {
      if (meta.timerIncarnation >= 0 && meta.timerIncarnation !== this.incarnation) return;
      if (meta.origin !== undefined && (this.actor as Actor<M>).localOnly === true) return this.#refuseRemote(message, meta, meta.origin);
    }
    if (message === POISON) {
      this.stop({ type: 'normal' });
      return;
    }
    this.currentMeta = meta;
    let result: void | Promise<void>;
    try {
      result = (this.actor as Actor<M>).receive(message as M, this.ctx);
    } catch (error) {
      this.fail(error, 'receive');
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') this.track(result, 'receive');
  }

  /** A message from another node to an actor that takes local messages only: a dead letter, never handled. */
  #refuseRemote(message: unknown, meta: Meta, origin: string): void {
    const error = new RemoteDeniedError(this.path, messageTypeOf(message), origin);
    this.system.deadLetter(this.path, message, meta, DeadLetterReason.Rejected, error);
  }

  /** Holds the next message until an async handler's `promise` settles; a rejection fails the cell in `phase`. */
  track(promise: Promise<void>, phase: FailurePhase): void {
    this.busy = true;
    const token = this.token;
    promise.then(
      () => this.#settled(token),
      (error: unknown) => {
        if (token !== this.token) return;
        this.#settled(token);
        this.fail(error, phase);
      },
    );
  }

  #settled(token: number): void {
    if (token !== this.token) return;
    this.busy = false;
    this.startDone();
    if (this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      for (const f of idle) f();
    }
    if (!this.scheduled && this.hasWork()) this.system.dispatcher.schedule(this);
  }

  /** Resolves when no handler is in flight; undefined when idle. */
  whenIdle(): Promise<void> | undefined {
    if (!this.busy) return undefined;
    return new Promise((resolve) => {
      (this.#idle ??= []).push(resolve);
    });
  }

  /** Abandons an in-flight handler (forced stop or restart past the shutdown time). */
  abandonHandler(): void {
    this.token++;
    this.busy = false;
    const idle = this.#idle;
    this.#idle = undefined;
    if (idle !== undefined) for (const f of idle) f();
  }

  #drainSystem(): void {
    const mailbox = this.mailbox;
    while (mailbox.hasSystem && !this.busy && this.status !== Status.Stopped) {
      const m = mailbox.takeSystem() as SystemMessage;
      switch (m.kind) {
        case 'stop':
          terminate(this as Cell, m.reason);
          break;
        case 'child-failed':
          this.#onChildFailed(m.child, m.failure);
          break;
        case 'terminated':
          deliverTerminated(this, m.ref, m.reason);
          break;
      }
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /** Makes a fresh behaviour instance and runs preStart (or postRestart after a failure). */
  create(restartReason: unknown): void {
    this.status = Status.Running;
    this.startedAt = this.system.clock.now();
    this.currentMeta = undefined;
    const phase: FailurePhase = restartReason === undefined ? 'start' : 'restart';
    this.#starting = true;
    let actor: Actor<M>;
    try {
      actor = this.factory.create(this.ctx);
    } catch (error) {
      this.actor = undefined;
      this.fail(error, phase);
      return;
    }
    this.actor = actor;
    let result: void | Promise<void>;
    try {
      if (restartReason === undefined) result = actor.preStart?.(this.ctx);
      else result = actor.postRestart !== undefined ? actor.postRestart(this.ctx, restartReason) : actor.preStart?.(this.ctx);
    } catch (error) {
      this.fail(error, phase);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') this.track(result, phase);
    else this.startDone();
  }

  startDone(): void {
    if (!this.#starting) return;
    this.#starting = false;
    const waiters = this.#started;
    this.#started = undefined;
    if (waiters !== undefined) for (const f of waiters) f();
  }

  /** Resolves once the current start (constructor and preStart) has completed; undefined if it has. */
  whenStarted(): Promise<void> | undefined {
    if (this.status !== Status.New && !this.#starting) return undefined;
    return new Promise((resolve) => {
      (this.#started ??= []).push(resolve);
    });
  }

  /** A failure: the actor suspends and its supervisor decides. An ask being answered fails at once. */
  fail(error: unknown, phase: FailurePhase, origin?: AnyRef): void {
    const sender = senderOf(this.currentMeta);
    this.currentMeta = undefined;
    this.lastFailure = error;
    this.startDone();
    if (sender instanceof AskEndpoint) sender.failFromTarget(error);
    this.system.events.publish({ type: 'actor-failed', actor: this.path, error, phase });
    if (this.status >= Status.Stopping) return;
    this.status = Status.Suspended;
    const failure: Failure = { error, origin: origin ?? this.ref, phase };
    if (this.parent !== undefined) this.parent.sendSystem({ kind: 'child-failed', child: this as Cell, failure });
    else this.system.onRootFailure(this.path, error);
  }

  #onChildFailed(child: Cell, failure: Failure): void {
    if (child.parent !== (this as Cell) || child.status !== Status.Suspended || this.children.named(child.name) !== child) return;
    if (this.status >= Status.Stopping) return;
    try {
      this.strategy.handleFailure(this.ctx.control, child, failure);
    } catch (error) {
      this.fail(error, 'receive');
    }
  }

  // ---- stopping ------------------------------------------------------------------------------------

  /** Stops this actor: queued user messages become dead letters; resolves once it has stopped. */
  stop(reason: StopReason = { type: 'normal' }): Promise<void> {
    if (this.status === Status.Stopped) return Promise.resolve();
    if (this.stopRequest === undefined) {
      this.stopRequest = new StopRequest(this.system.clock, this.options.shutdownMs, () => this.force());
      this.sendSystem({ kind: 'stop', reason });
    }
    return this.stopRequest.done;
  }

  /** Stops the children one by one in reverse start order; undefined when there are none. */
  stopChildren(): Promise<void> | undefined {
    return stopChildren(this as Cell);
  }

  /** Stops at once, without waiting for handlers, children or postStop; reported as a forced stop. */
  force(): void {
    forceStop(this as Cell);
  }

  finalize(reason: StopReason): void {
    finalize(this as Cell, reason);
  }

  /** Cancels every timer; `forget` also drops them, so the next incarnation starts with none. */
  cancelTimers(forget = false): void {
    this.#timers?.cancelAll();
    if (forget) this.#timers = undefined;
  }

  // ---- children and watches ------------------------------------------------------------------------

  /** A child finished stopping: its supervisor strategy hears of it unless this actor is stopping too. */
  childStopped(child: Cell, reason: StopReason): void {
    if (!this.children.remove(child)) return;
    if (this.status >= Status.Stopping) return;
    try {
      this.strategy.handleStopped?.(this.ctx.control, child, reason);
    } catch (error) {
      this.system.log.error({ actor: this.path, err: error }, 'supervisor strategy failed on a child stop');
    }
  }

  addWatcher(watcher: Watcher): void {
    if (this.status === Status.Stopped) watcher.notifyTerminated(this.ref, this.stopReason ?? { type: 'unknown' });
    else (this.watchers ??= new Set()).add(watcher);
  }

  removeWatcher(watcher: Watcher): void {
    this.watchers?.delete(watcher);
  }

  notifyTerminated(ref: AnyRef, reason: StopReason): void {
    this.sendSystem({ kind: 'terminated', ref, reason });
  }
}
