import type { Logger } from './logger.ts';

declare const replyBrand: unique symbol;

/**
 * Marks a message type as a request whose reply is `R`, so `ask` infers the reply type:
 * `type Get = { type: 'get' } & Ask<number>` makes `ref.ask({ type: 'get' })` a `Promise<number>`.
 */
export interface Ask<R> {
  readonly [replyBrand]?: R;
}

/** The reply type of a message: `R` for an `Ask<R>`, `unknown` otherwise. */
export type ReplyOf<M> = M extends Ask<infer R> ? R : unknown;

/** The reply to `Q` sent to an `ActorRef<M>`: found through the member of `M` that `Q` is (so a literal works). */
export type ReplyTo<M, Q> = [Extract<M, Q>] extends [never] ? ReplyOf<Q> : ReplyOf<Extract<M, Q>>;

/** Outcome of a send: `true` accepted, `false` dropped or rejected (a dead letter was recorded),
 * a promise only under the `backpressure` policy while the mailbox is full (resolves `true` once it got in). */
export type SendResult = boolean | Promise<boolean>;

export interface AskOptions {
  /** How long to wait for the reply. @default 5000 */
  timeoutMs?: number;
  /** Headers carried with the message, visible to the receiver as `ctx.headers`. */
  headers?: Readonly<Record<string, string>>;
  /** Aborting rejects the ask at once. */
  signal?: AbortSignal;
}

export interface TellOptions {
  sender?: AnyRef;
  headers?: Readonly<Record<string, string>>;
}

/** An actor's address and the way to send to it. `ActorRef<M>` accepts only `M`. */
export interface ActorRef<M = unknown> {
  /** Path below the node, e.g. `/user/greeter/worker-1`. */
  readonly path: string;
  /** Full address of the current incarnation: `mesh://<nodeId>/user/<path>#<incarnation>`. */
  readonly address: string;
  tell(message: M, options?: TellOptions | AnyRef): SendResult;
  ask<Q extends M>(message: Q, options?: AskOptions): Promise<ReplyTo<M, Q>>;
  /** The serialisable form of the ref: it follows the actor across restarts, never into a new spawn. */
  toJSON(): SerializedRef;
}

// biome-ignore lint/suspicious/noExplicitAny: a ref of unknown message type must accept any sender ref
export type AnyRef = ActorRef<any>;

export interface SerializedRef {
  $ref: string;
  uid?: number;
}

/** Why an actor stopped. */
export type StopReason =
  /** Stopped on request; `self` when the actor stopped itself (an exit, which restarts a permanent child). */
  | { type: 'normal'; self?: boolean }
  | { type: 'failure'; error: unknown }
  | { type: 'forced'; afterMs: number }
  | { type: 'unknown' };

/** Delivered to a watcher when a watched actor stops (through `onSignal`, or `receive` when absent). */
export class Terminated {
  readonly type = 'terminated' as const;
  constructor(
    readonly ref: AnyRef,
    readonly reason: StopReason,
  ) {}
}

export type Signal = Terminated;

export interface Timers<M> {
  /** Send `message` to self once after `delayMs`; a timer with the same key is replaced. */
  startSingle(key: string, message: M, delayMs: number): void;
  /** Send `message` to self every `intervalMs`. */
  startPeriodic(key: string, message: M, intervalMs: number): void;
  cancel(key: string): void;
  cancelAll(): void;
  isActive(key: string): boolean;
}

/** What an actor may do while it handles a message. */
/** What an actor asks for with `ctx.reminders.set`: a time, a period, or both (the first at `at`). */
export interface ReminderSpec {
  /** When to fire first: epoch ms or a Date. @default now + everyMs */
  readonly at?: number | Date;
  /** Fire again every this many ms after each scheduled time. @default undefined (fire once) */
  readonly everyMs?: number;
  /** Carried to the actor in the {@link Reminder} message; must be JSON. @default undefined */
  readonly payload?: unknown;
}

/** The message a reminder delivers to its actor. */
export interface Reminder<P = unknown> {
  readonly type: 'reminder';
  readonly name: string;
  readonly payload: P;
  /** The time it was due (epoch ms); a reminder that was due while no process ran fires late, once. */
  readonly scheduledAt: number;
}

/**
 * Durable reminders of one actor path, kept by the node's store: unlike timers, they survive restarts of the actor
 * and of the process, and fire to whatever actor then lives at the path. Across nodes sharing a store, each fire is
 * claimed once (compare-and-set on the record), so a reminder fires on one node only.
 */
export interface Reminders {
  /** Sets (or replaces) the reminder `name`; resolves once it is stored. */
  set(name: string, spec: ReminderSpec): Promise<void>;
  /** Removes it; resolves whether it existed. */
  cancel(name: string): Promise<boolean>;
  /** The names of this actor's reminders. */
  list(): Promise<string[]>;
}

export interface ActorContext<M = unknown> {
  readonly self: ActorRef<M>;
  readonly parent: AnyRef | undefined;
  /** The sender of the current message, if it was sent with one (asks always have one). */
  readonly sender: AnyRef | undefined;
  /** Headers of the current message (metadata; W3C traceparent rides here). */
  readonly headers: Readonly<Record<string, string>>;
  /** The node id the current message came from when the mesh delivered it from the network; undefined for local messages. */
  readonly origin: string | undefined;
  readonly timers: Timers<M>;
  /** Durable reminders of this actor's path (needs a mesh node: they are kept in its store). */
  readonly reminders: Reminders;
  readonly log: Logger;
  /** The current incarnation: bumps on each restart. */
  readonly incarnation: number;
  /** Reply to the sender of the current message (resolves an `ask`). */
  reply(value: unknown): void;
  spawn<C>(behavior: Behavior<C>, options?: SpawnOptions): ActorRef<C>;
  /** Stop self (no argument) or a child; queued user messages become dead letters. */
  stop(ref?: AnyRef): void;
  watch(ref: AnyRef): void;
  unwatch(ref: AnyRef): void;
  children(): AnyRef[];
}

/** A class-style actor. A new instance is made for every start and restart. */
export interface Actor<M = unknown> {
  /** How this actor supervises its children; overrides the spawn option (Akka's `supervisorStrategy`). */
  readonly supervisorStrategy?: import('./strategy.ts').SupervisorStrategy;
  /**
   * Take messages from this node only. A message from another node (`ctx.origin` set) is then refused before
   * `receive`: it becomes a dead letter (reason `rejected`) and an ask with it fails with REMOTE_DENIED.
   * Supervisors set it, so their control messages are never obeyed from the network. @default false
   */
  readonly localOnly?: boolean;
  receive(message: M, ctx: ActorContext<M>): void | Promise<void>;
  onSignal?(signal: Signal, ctx: ActorContext<M>): void | Promise<void>;
  preStart?(ctx: ActorContext<M>): void | Promise<void>;
  /** Called when a stop begins, before the children are stopped. */
  preStop?(ctx: ActorContext<M>): void;
  postStop?(ctx: ActorContext<M>): void | Promise<void>;
  preRestart?(ctx: ActorContext<M>, reason: unknown): void | Promise<void>;
  postRestart?(ctx: ActorContext<M>, reason: unknown): void | Promise<void>;
}

export type ReceiveFunction<M> = (message: M, ctx: ActorContext<M>) => void | Promise<void>;

/** Makes a fresh actor for each start and restart. */
export interface ActorFactory<M> {
  readonly kind: 'factory';
  create(ctx: ActorContext<M>): Actor<M>;
}

/** Anything that can be spawned: an actor class, a receive function, or a factory (see `fromFactory`, `fromMachine`). */
export type Behavior<M> = (new () => Actor<M>) | ReceiveFunction<M> | ActorFactory<M>;

export const OverflowPolicy = {
  DropNewest: 'drop-newest',
  DropOldest: 'drop-oldest',
  Reject: 'reject',
  Backpressure: 'backpressure',
} as const;
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];

export interface MailboxOptions {
  /** Bound of the user lane. @default 10000 */
  capacity?: number;
  /** What a send to a full mailbox does. @default 'drop-newest' */
  overflow?: OverflowPolicy;
}

export const RestartType = { Permanent: 'permanent', Transient: 'transient', Temporary: 'temporary' } as const;
export type RestartType = (typeof RestartType)[keyof typeof RestartType];

export interface SpawnOptions {
  /** Unique among siblings; generated when absent. */
  name?: string;
  mailbox?: MailboxOptions;
  /** How this actor supervises its own children. @default the system's default strategy */
  supervision?: import('./strategy.ts').SupervisorStrategy;
  /** How its parent treats its exits (OTP child restart type). @default 'permanent' */
  restart?: RestartType;
  /** Time given to stop gracefully before a forced stop. @default 5000 */
  shutdownMs?: number;
  /** Messages handled before yielding to the event loop. @default 300 */
  throughput?: number;
}
