import { type Address, formatAddress, isValidName, parseAddress, pathSegments } from './address.ts';
import { AskEndpoint, AskFailure, AskRegistry } from './ask.ts';
import { toFactory } from './behavior.ts';
import { Cell, type CellOptions, Status } from './cell.ts';
import type { Clock } from './clock.ts';
import { DeadLetterLog } from './dead-letter-log.ts';
import { Dispatcher } from './dispatcher.ts';
import { ActorError, ActorErrorCodes, ActorStoppedError, InvalidActorNameError, MailboxFullError, messageTypeOf } from './errors.ts';
import { DeadLetterReason, EventStream } from './event-stream.ts';
import type { KernelInternals } from './internal.ts';
import { DeadRef, LocalRef } from './local-ref.ts';
import type { Logger } from './logger.ts';
import { type Meta, senderOf } from './refs.ts';
import { type SnapshotLimits, snapshotTree, type TreeSnapshot } from './snapshot.ts';
import type { SystemDefaults, SystemServices } from './services.ts';
import type { SupervisorStrategy } from './strategy.ts';
import type { ActorFactory, ActorRef, AnyRef, Behavior, Reminders, SendResult, SerializedRef, SpawnOptions, StopReason } from './types.ts';

/** Resolves addresses of other nodes into refs; the mesh registers one, so the kernel knows no network. */
export type RemoteResolver = (address: Address, serialized: SerializedRef | undefined) => AnyRef | undefined;

/** Everything a kernel is built from, defaults already applied. */
export interface KernelOptions {
  nodeId: string;
  log: Logger;
  clock: Clock;
  defaultStrategy: SupervisorStrategy;
  /** How the /user guardian supervises top-level actors. */
  guardianStrategy: SupervisorStrategy;
  defaults: SystemDefaults;
  deadLetterLogPerSecond: number;
}

export interface KernelStats {
  /** Live actors, guardians excluded. */
  actors: number;
  deadLetters: number;
  liveAsks: number;
  registeredAskEndpoints: number;
  lateReplies: number;
  askTimeouts: number;
}

const factoryCache = new WeakMap<object, ActorFactory<unknown>>();

/**
 * The actor kernel behind an ActorSystem: the cell tree and its guardians, spawning, the dispatcher, pending asks,
 * dead letters, remote resolvers and termination. Cells see it as {@link SystemServices}, the mesh as
 * {@link KernelInternals} (through `kernelOf`); users see only the ActorSystem facade.
 */
const remindersNeedAMesh = (): Promise<never> =>
  Promise.reject(new Error('reminders are kept in a store: spawn the actor on the actor system of a mesh node (node.system)'));

/** Until a mesh node installs its reminders, every call fails with a line saying why. */
const noReminders = (): Reminders => ({ set: remindersNeedAMesh, cancel: remindersNeedAMesh, list: remindersNeedAMesh });

export class Kernel implements SystemServices, KernelInternals {
  readonly nodeId: string;
  readonly events = new EventStream();
  readonly log: Logger;
  readonly clock: Clock;
  readonly dispatcher: Dispatcher;
  readonly asks: AskRegistry;
  readonly defaultStrategy: SupervisorStrategy;
  readonly defaults: SystemDefaults;
  readonly #root: Cell;
  /** The `/user` guardian: parent of `spawn`ed actors. */
  readonly userGuardian: Cell;
  /** The `/system` guardian: parent of `spawnSystem`ed actors. */
  readonly systemGuardian: Cell;
  readonly #resolvers: RemoteResolver[] = [];
  #reminders: (self: AnyRef) => Reminders = noReminders;
  readonly #deadLetterLog: DeadLetterLog;
  #incarnations = 0;
  #actors = 0;
  #deadLetters = 0;
  #sharedDefaults: CellOptions | undefined;
  #terminating: Promise<void> | undefined;
  /** Resolves with the reason once the system has stopped. */
  readonly whenTerminated: Promise<StopReason>;
  #resolveTerminated!: (reason: StopReason) => void;

  constructor(options: KernelOptions) {
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.clock = options.clock;
    this.defaultStrategy = options.defaultStrategy;
    this.defaults = options.defaults;
    this.#deadLetterLog = new DeadLetterLog(this.log, this.clock, options.deadLetterLogPerSecond);
    this.dispatcher = new Dispatcher(this.defaults.throughput);
    this.asks = new AskRegistry(this.nodeId, this.clock);
    this.whenTerminated = new Promise((resolve) => {
      this.#resolveTerminated = resolve;
    });
    const guardian = toFactory<unknown>(() => {});
    this.#root = new Cell(this, undefined, '', guardian, this.#cellOptions(undefined), '/');
    this.userGuardian = this.#guardian('user', guardian, options.guardianStrategy);
    this.systemGuardian = this.#guardian('system', guardian, undefined);
  }

  #guardian(name: string, behavior: ActorFactory<unknown>, supervision: SupervisorStrategy | undefined): Cell {
    const cell = new Cell(this, this.#root, name, behavior, this.#cellOptions(supervision === undefined ? { shutdownMs: 60_000 } : { shutdownMs: 60_000, supervision }));
    this.#root.children.add(cell);
    cell.status = Status.Running;
    cell.actor = behavior.create(cell.ctx);
    return cell;
  }

  spawnChild<M>(parent: Cell, behavior: Behavior<M>, options: SpawnOptions | undefined): ActorRef<M> {
    if (parent.status >= Status.Stopping) throw new ActorError(ActorErrorCodes.SYSTEM_STOPPED, `cannot spawn under ${parent.path}: it is stopping`);
    let name = options?.name;
    if (name === undefined) name = parent.children.nextName();
    else if (!isValidName(name) || name.startsWith('$')) throw new InvalidActorNameError(name, 'use letters, digits and -_.~@:+ (a leading $ is reserved)');
    if (parent.children.has(name)) throw new InvalidActorNameError(name, `${parent.path} already has a child of that name`);
    const cell = new Cell<M>(this, parent, name, this.#factoryOf(behavior), this.#cellOptions(options));
    parent.children.add(cell as Cell);
    this.#actors++;
    this.dispatcher.schedule(cell);
    return cell.ref;
  }

  respawn(parent: Cell, previous: Cell): void {
    if (parent.status >= Status.Stopping) return;
    const cell = new Cell(this, parent, previous.name, previous.factory, previous.options);
    parent.children.add(cell, previous.startIndex);
    this.#actors++;
    this.dispatcher.schedule(cell);
  }

  #factoryOf<M>(behavior: Behavior<M>): ActorFactory<M> {
    if (typeof behavior !== 'function') return toFactory(behavior);
    let f = factoryCache.get(behavior);
    if (f === undefined) {
      f = toFactory(behavior) as ActorFactory<unknown>;
      factoryCache.set(behavior, f);
    }
    return f as ActorFactory<M>;
  }

  #cellOptions(options: SpawnOptions | undefined): CellOptions {
    if (
      options === undefined ||
      (options.mailbox === undefined && options.supervision === undefined && options.restart === undefined && options.shutdownMs === undefined && options.throughput === undefined)
    ) {
      // Most actors use the defaults: one shared, frozen options object instead of one per actor.
      this.#sharedDefaults ??= Object.freeze(this.#buildCellOptions(undefined));
      return this.#sharedDefaults;
    }
    return this.#buildCellOptions(options);
  }

  #buildCellOptions(options: SpawnOptions | undefined): CellOptions {
    const d = this.defaults;
    return {
      capacity: options?.mailbox?.capacity ?? d.capacity,
      overflow: options?.mailbox?.overflow ?? d.overflow,
      strategy: options?.supervision,
      restart: options?.restart ?? 'permanent',
      shutdownMs: options?.shutdownMs ?? d.shutdownMs,
      throughput: options?.throughput ?? d.throughput,
    };
  }

  /** Stops an actor (queued messages become dead letters), or with `drain` after handling what is queued. */
  stop(ref: AnyRef, drain: boolean): Promise<void> {
    const cell = cellOf(ref);
    if (cell === undefined) return Promise.resolve();
    if (!drain) return cell.stop({ type: 'normal' });
    cell.enqueuePoison();
    return new Promise((resolve) => {
      const off = this.events.on('actor-stopped', (e) => {
        if (e.actor === cell.path && cell.status === Status.Stopped) {
          off();
          resolve();
        }
      });
      if (cell.status === Status.Stopped) {
        off();
        resolve();
      }
    });
  }

  addResolver(resolver: RemoteResolver): () => void {
    this.#resolvers.push(resolver);
    return () => {
      const i = this.#resolvers.indexOf(resolver);
      if (i >= 0) this.#resolvers.splice(i, 1);
    };
  }

  /** See ActorSystem.ref. */
  ref<M>(target: string | SerializedRef): ActorRef<M> {
    const serialized = typeof target === 'string' ? undefined : target;
    const text = typeof target === 'string' ? target : target.$ref;
    const address = parseAddress(text);
    if (address === undefined) return this.#dead(String(text)) as ActorRef<M>;
    if (address.nodeId !== this.nodeId) {
      for (const resolve of this.#resolvers) {
        const ref = resolve(address, serialized);
        if (ref !== undefined) return ref as ActorRef<M>;
      }
      return this.#dead(text) as ActorRef<M>;
    }
    const local = this.#resolveLocal(address, serialized?.uid);
    return (local ?? this.#dead(text)) as ActorRef<M>;
  }

  #resolveLocal(address: Address, uid: number | undefined): AnyRef | undefined {
    const segs = pathSegments(address.path);
    if (segs[0] === 'temp' && segs.length === 2) return address.incarnation === undefined ? this.asks.byId(segs[1] as string) : undefined;
    let cell: Cell | undefined = this.#root;
    for (const seg of segs) {
      cell = cell.children.named(seg);
      if (cell === undefined) return undefined;
    }
    if (cell.status === Status.Stopped) return undefined;
    if (address.incarnation !== undefined && address.incarnation !== cell.incarnation) return undefined;
    if (uid !== undefined && uid !== cell.uid) return undefined;
    return cell.ref;
  }

  #dead(address: string): AnyRef {
    const parsed = parseAddress(address);
    return new DeadRef(address, parsed?.path ?? address, (recipient, message, meta) => this.deadLetter(recipient, message, meta, DeadLetterReason.Unknown));
  }

  setReminders(provider: (self: AnyRef) => Reminders): void {
    this.#reminders = provider;
  }

  reminders(self: AnyRef): Reminders {
    return this.#reminders(self);
  }

  tellNow(ref: AnyRef, message: unknown): SendResult {
    return ref instanceof LocalRef && ref.cell.system === this ? ref.cell.enqueueOrRun(message, undefined) : ref.tell(message);
  }

  lookup(path: string): AnyRef | undefined {
    return this.#resolveLocal({ nodeId: this.nodeId, path }, undefined);
  }

  actorStopped(): void {
    this.#actors--;
  }

  nextIncarnation(): number {
    return ++this.#incarnations;
  }

  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason, error?: Error): void {
    this.#deadLetters++;
    const sender = senderOf(meta);
    if (sender instanceof AskEndpoint) {
      const full = reason === DeadLetterReason.Overflow || reason === DeadLetterReason.Rejected;
      sender.fail(error ?? (full ? new MailboxFullError(recipient, this.defaults.capacity) : new ActorStoppedError(recipient, messageTypeOf(message))));
    } else if (error !== undefined && sender?.path.startsWith('/temp/') === true) {
      // The reply endpoint of an ask made on another node: it gets the error as its reply.
      sender.tell(new AskFailure(error));
    }
    if (this.events.has('dead-letter')) {
      this.events.publish({ type: 'dead-letter', recipient, message, sender: sender?.address, reason });
    }
    this.#deadLetterLog.record(recipient, message, reason);
  }

  onRootFailure(actor: string, error: unknown): void {
    this.log.error({ actor, err: error }, 'failure escalated to the root; stopping the actor system');
    this.events.publish({ type: 'root-failure', actor, error });
    void this.terminate({ type: 'failure', error });
  }

  snapshot(limits?: SnapshotLimits): TreeSnapshot {
    return snapshotTree(this.#root, limits);
  }

  stats(): KernelStats {
    return {
      actors: this.#actors,
      deadLetters: this.#deadLetters,
      liveAsks: this.asks.live,
      registeredAskEndpoints: this.asks.registered,
      lateReplies: this.asks.lateReplies,
      askTimeouts: this.asks.timeouts,
    };
  }

  /** Stops `/user` then `/system` (each in reverse start order) and fails pending asks. */
  terminate(reason: StopReason): Promise<void> {
    if (this.#terminating !== undefined) return this.#terminating;
    this.#terminating = (async () => {
      await this.userGuardian.stop();
      await this.systemGuardian.stop();
      this.#root.finalize(reason);
      this.asks.failAll(new ActorError(ActorErrorCodes.SYSTEM_STOPPED, 'the actor system stopped'));
      this.#resolveTerminated(reason);
    })();
    return this.#terminating;
  }

  /** True once `terminate` has begun. */
  get terminating(): boolean {
    return this.#terminating !== undefined;
  }

  addressOf(ref: AnyRef): string {
    return formatAddress(this.nodeId, ref.path, cellOf(ref)?.incarnation);
  }
}

function cellOf(ref: AnyRef): Cell | undefined {
  const cell = (ref as { cell?: Cell }).cell;
  return cell instanceof Cell ? cell : undefined;
}
