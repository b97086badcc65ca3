import type { Actor, ActorContext, ActorRef, ActorSystem } from '../actors/index.ts';
import { createSupervisor, type SupervisorInfo, type SupervisorMessage } from '../supervisor/index.ts';

/** What a component may do while it runs. */
export interface ComponentContext {
  /** Reports a failure of something the component runs in the background: its supervisor restarts it. */
  fail(error: unknown): void;
}

/**
 * One part of a node (the transport listener, the peer directory, the registry watch, the server, and later the
 * broker, events, store…): started in order, stopped in reverse, restarted by the node's supervisor when it fails.
 */
export interface NodeComponent {
  readonly name: string;
  start(ctx: ComponentContext): void | Promise<void>;
  stop(): void | Promise<void>;
}

type ComponentMessage = { type: 'failed'; error: unknown };

/** The startup of a tree: the first error stops later components from starting and fails `createNode`. */
interface Startup {
  error: unknown;
  done: boolean;
}

/** The actor that owns one component: its start is the actor's start, its stop the actor's stop. */
class ComponentActor implements Actor<ComponentMessage> {
  #started = false;

  constructor(
    readonly component: NodeComponent,
    readonly startup: Startup,
  ) {}

  async preStart(ctx: ActorContext<ComponentMessage>): Promise<void> {
    if (this.startup.error !== undefined) return;
    try {
      await this.component.start({ fail: (error) => ctx.self.tell({ type: 'failed', error }) });
      this.#started = true;
    } catch (err) {
      if (this.startup.done) throw err;
      this.startup.error = err;
    }
  }

  receive(message: ComponentMessage, ctx: ActorContext<ComponentMessage>): void {
    if (message.type !== 'failed') return;
    ctx.log.warn({ component: this.component.name, err: message.error }, 'node component failed; restarting it');
    throw message.error;
  }

  async preRestart(): Promise<void> {
    await this.#stop();
  }

  async postStop(): Promise<void> {
    await this.#stop();
  }

  async #stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.component.stop();
  }
}

/** A node's supervised tree of components. */
export interface NodeTree {
  readonly ref: ActorRef<SupervisorMessage>;
  inspect(): Promise<SupervisorInfo>;
  /** Stops the components in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Starts `components` in order as children of a node supervisor under /system (one_for_one, restarts with
 * backoff). Rejects with the first start error, after stopping what had started.
 */
export async function startNodeTree(system: ActorSystem, name: string, components: readonly NodeComponent[]): Promise<NodeTree> {
  const startup: Startup = { error: undefined, done: false };
  const ref = system.spawnSystem(
    createSupervisor({
      strategy: 'one_for_one',
      maxRestarts: 10,
      withinMs: 10_000,
      backoff: { minMs: 100, maxMs: 5000 },
      children: components.map((c) => ({ id: c.name, shutdownMs: 30_000, start: { kind: 'factory' as const, create: () => new ComponentActor(c, startup) } })),
    }),
    { name, shutdownMs: 60_000 },
  );
  await ref.ask({ type: 'inspect' }, { timeoutMs: 60_000 });
  startup.done = true;
  const tree: NodeTree = {
    ref,
    inspect: () => ref.ask({ type: 'inspect' }),
    stop: () => system.stop(ref),
  };
  if (startup.error !== undefined) {
    await tree.stop();
    throw startup.error;
  }
  return tree;
}
