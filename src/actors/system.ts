import { type Address, formatAddress, isValidName, parseAddress, pathSegments } from './address.ts';
import { AskEndpoint, AskRegistry } from './ask.ts';
import { toFactory } from './behavior.ts';
import { Cell, type CellOptions, Status } from './cell.ts';
import { Dispatcher } from './dispatcher.ts';
import { ActorError, ActorErrorCodes, InvalidActorNameError, MailboxFullError, ActorStoppedError, messageTypeOf } from './errors.ts';
import { DeadLetterReason, EventStream } from './event-stream.ts';
import { DeadRef } from './local-ref.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type BaseRef, type Meta, senderOf } from './refs.ts';
import type { SystemServices } from './services.ts';
import { stopOnFailure, type SupervisorStrategy } from './strategy.ts';
import type { ActorFactory, ActorRef, AnyRef, Behavior, MailboxOptions, SerializedRef, SpawnOptions, StopReason } from './types.ts';

export interface ActorSystemOptions {
  /** This node's id, the host part of every address. @default a random `node-xxxxxx` */
  nodeId?: string;
  /** @default silentLogger */
  logger?: Logger;
  /** Strategy of actors spawned without `supervision`, the /user guardian included. @default stop on failure (the supervisor module's createActorSystem passes one_for_one) */
  defaultStrategy?: SupervisorStrategy;
  /** Default mailbox of every actor. @default { capacity: 10000, overflow: 'drop-newest' } */
  mailbox?: MailboxOptions;
  /** Messages an actor handles before yielding. @default 300 */
  throughput?: number;
  /** @default 5000 */
  shutdownMs?: number;
  /** Dead letters logged per second at most; the rest are counted and summarised. @default 10 */
  deadLetterLogPerSecond?: number;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

export function defaultActorSystemOptions(): Required<Omit<ActorSystemOptions, 'nodeId' | 'defaultStrategy'>> {
  return {
    logger: silentLogger,
    mailbox: { capacity: 10_000, overflow: 'drop-newest' },
    throughput: 300,
    shutdownMs: 5000,
    deadLetterLogPerSecond: 10,
    now: () => performance.now(),
  };
}

/** Resolves addresses of other nodes into refs; the mesh registers one, so the kernel knows no network. */
export type RemoteResolver = (address: Address, serialized: SerializedRef | undefined) => AnyRef | undefined;

export interface ActorSystemStats {
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
 * Owns a tree of actors rooted at the guardians `/user` and `/system`.
 * @example
 * const system = createActorSystem();
 * const counter = system.spawn(Counter, { name: 'counter' });
 * counter.tell({ type: 'inc' });
 * const n = await counter.ask({ type: 'get' });
 */
export class ActorSystem implements SystemServices {
  readonly nodeId: string;
  readonly events = new EventStream();
  readonly log: Logger;
  readonly dispatcher: Dispatcher;
  readonly asks: AskRegistry;
  readonly defaultStrategy: SupervisorStrategy;
  readonly defaults: SystemServices['defaults'];
  readonly now: () => number;
  readonly #root: Cell;
  readonly #user: Cell;
  readonly #system: Cell;
  readonly #resolvers: RemoteResolver[] = [];
  readonly #deadLetterLogPerSecond: number;
  #incarnations = 0;
  #actors = 0;
  #deadLetters = 0;
  #logWindowStart = 0;
  #loggedInWindow = 0;
  #suppressed = 0;
  #terminating: Promise<void> | undefined;
  readonly #terminated: Promise<StopReason>;
  #resolveTerminated!: (reason: StopReason) => void;

  constructor(options: ActorSystemOptions = {}) {
    const d = defaultActorSystemOptions();
    this.nodeId = options.nodeId ?? `node-${Math.random().toString(36).slice(2, 8)}`;
    this.log = options.logger ?? d.logger;
    this.now = options.now ?? d.now;
    this.defaultStrategy = options.defaultStrategy ?? stopOnFailure;
    this.defaults = {
      capacity: options.mailbox?.capacity ?? d.mailbox.capacity ?? 10_000,
      overflow: options.mailbox?.overflow ?? d.mailbox.overflow ?? 'drop-newest',
      throughput: options.throughput ?? d.throughput,
      shutdownMs: options.shutdownMs ?? d.shutdownMs,
    };
    this.#deadLetterLogPerSecond = options.deadLetterLogPerSecond ?? d.deadLetterLogPerSecond;
    this.dispatcher = new Dispatcher(this.defaults.throughput);
    this.asks = new AskRegistry(this.nodeId, this.now);
    this.#terminated = new Promise((resolve) => {
      this.#resolveTerminated = resolve;
    });
    const guardian = toFactory<unknown>(() => {});
    this.#root = new Cell(this, undefined, '', guardian, this.#cellOptions(undefined), '/');
    this.#user = this.#guardian('user', guardian);
    this.#system = this.#guardian('system', guardian);
  }

  #guardian(name: string, behavior: ActorFactory<unknown>): Cell {
    const cell = new Cell(this, this.#root, name, behavior, this.#cellOptions({ shutdownMs: 60_000 }));
    this.#root.children.add(cell);
    cell.status = Status.Running;
    cell.actor = behavior.create(cell.ctx);
    return cell;
  }

  /** Spawns a top-level actor under `/user`. */
  spawn<M>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    return this.spawnChild(this.#user, behavior, options);
  }

  /** Spawns an infrastructure actor under `/system` (mesh internals, watchers). */
  spawnSystem<M>(behavior: Behavior<M>, options?: SpawnOptions): ActorRef<M> {
    return this.spawnChild(this.#system, behavior, options);
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

  #sharedDefaults: CellOptions | undefined;

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
  stop(ref: AnyRef, options: { drain?: boolean } = {}): Promise<void> {
    const cell = this.#cellOf(ref);
    if (cell === undefined) return Promise.resolve();
    if (options.drain) {
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
    return cell.stop({ type: 'normal' });
  }

  #cellOf(ref: AnyRef): Cell | undefined {
    const cell = (ref as { cell?: Cell }).cell;
    return cell instanceof Cell ? cell : undefined;
  }

  /** Registers how to reach actors on other nodes (the mesh does this). Returns an unregister function. */
  addResolver(resolver: RemoteResolver): () => void {
    this.#resolvers.push(resolver);
    return () => {
      const i = this.#resolvers.indexOf(resolver);
      if (i >= 0) this.#resolvers.splice(i, 1);
    };
  }

  /**
   * A ref for an address or a serialised ref. `mesh://node/user/a` names whatever lives there,
   * `…#7` exactly incarnation 7, and a serialised ref (with `uid`) follows that actor across restarts.
   * Anything that names nothing gives a ref whose messages are dead letters.
   */
  ref<M = unknown>(target: string | SerializedRef): ActorRef<M> {
    const serialized = typeof target === 'string' ? undefined : target;
    const text = typeof target === 'string' ? target : target.$ref;
    const address = parseAddress(text);
    if (address === undefined) return this.#dead(String(text));
    if (address.nodeId !== this.nodeId) {
      for (const resolve of this.#resolvers) {
        const ref = resolve(address, serialized);
        if (ref !== undefined) return ref as ActorRef<M>;
      }
      return this.#dead(text);
    }
    const local = this.#resolveLocal(address, serialized?.uid);
    return (local ?? this.#dead(text)) as ActorRef<M>;
  }

  #resolveLocal(address: Address, uid: number | undefined): AnyRef | undefined {
    const segs = pathSegments(address.path);
    if (segs[0] === 'temp' && segs.length === 2) {
      const ep = this.asks.byId(Number(segs[1]));
      return ep;
    }
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
    return new DeadRef(address, parsed?.path ?? address, (recipient, message, meta) =>
      this.deadLetter(recipient, message, meta, DeadLetterReason.Unknown),
    );
  }

  actorStopped(): void {
    this.#actors--;
  }

  nextIncarnation(): number {
    return ++this.#incarnations;
  }

  deadLetter(recipient: string, message: unknown, meta: Meta, reason: DeadLetterReason): void {
    this.#deadLetters++;
    const sender = senderOf(meta);
    if (sender instanceof AskEndpoint) {
      const full = reason === DeadLetterReason.Overflow || reason === DeadLetterReason.Rejected;
      sender.fail(full ? new MailboxFullError(recipient, this.defaults.capacity) : new ActorStoppedError(recipient, messageTypeOf(message)));
    }
    if (this.events.has('dead-letter')) {
      this.events.publish({ type: 'dead-letter', recipient, message, sender: sender?.address, reason });
    }
    this.#logDeadLetter(recipient, message, reason);
  }

  #logDeadLetter(recipient: string, message: unknown, reason: DeadLetterReason): void {
    const now = this.now();
    if (now - this.#logWindowStart >= 1000) {
      if (this.#suppressed > 0) this.log.info({ suppressed: this.#suppressed }, 'dead letters not logged in the last window');
      this.#logWindowStart = now;
      this.#loggedInWindow = 0;
      this.#suppressed = 0;
    }
    if (this.#loggedInWindow < this.#deadLetterLogPerSecond) {
      this.#loggedInWindow++;
      this.log.debug({ recipient, messageType: messageTypeOf(message), reason }, 'dead letter');
    } else this.#suppressed++;
  }

  onRootFailure(actor: string, error: unknown): void {
    this.log.error({ actor, err: error }, 'failure escalated to the root; stopping the actor system');
    this.events.publish({ type: 'root-failure', actor, error });
    void this.terminate({ type: 'failure', error });
  }

  stats(): ActorSystemStats {
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
  terminate(reason: StopReason = { type: 'normal' }): Promise<void> {
    if (this.#terminating !== undefined) return this.#terminating;
    this.#terminating = (async () => {
      await this.#user.stop();
      await this.#system.stop();
      this.#root.finalize(reason);
      this.asks.failAll(new ActorError(ActorErrorCodes.SYSTEM_STOPPED, 'the actor system stopped'));
      this.#resolveTerminated(reason);
    })();
    return this.#terminating;
  }

  /** Resolves with the reason once the system has stopped. */
  get whenTerminated(): Promise<StopReason> {
    return this.#terminated;
  }

  get terminated(): boolean {
    return this.#terminating !== undefined;
  }

  /** Which address a local ref has (for tests and tools). */
  addressOf(ref: AnyRef): string {
    return formatAddress(this.nodeId, ref.path, this.#cellOf(ref)?.incarnation);
  }

  /** Inspect: the user tree as nested paths (for tools). */
  get userGuardian(): BaseRef {
    return this.#user.ref as BaseRef;
  }
}
