/**
 * Engine connections (NATS, Redis, PostgreSQL) as supervised actors: each shared resource is owned by one child of
 * an `engines` supervisor under the node's /system tree. The actor holds the connection: it closes it when stopped,
 * and when the connection fails for good (the open function reports it through `fail`), the actor fails, its
 * supervisor restarts it with backoff, and the restart opens a new connection that every lease sees from then on.
 */
import type { Actor, ActorContext, ActorRef, ActorSystem } from '../../actors/index.ts';
import { createSupervisor, type SupervisorInfo, type SupervisorMessage } from '../../supervisor/index.ts';
import { redactUrl } from './target.ts';

/** What an open function may use: `fail` reports that the connection it opened is lost for good. */
export interface OpenContext {
  fail(error: unknown): void;
}

/** The live value of one supervised resource, replaced on each restart. */
export interface EngineSlot<T> {
  value: T;
  readonly renewed: Set<(value: T) => void>;
}

type Message = { type: 'failed'; error: unknown };

/** Restart with backoff, and never give up: an engine that comes back is used again. */
const ENGINE_SUPERVISION = { maxRestarts: 1_000_000, withinMs: 1000, backoff: { minMs: 250, maxMs: 5000 } } as const;

class ConnectionActor<T> implements Actor<Message> {
  #open = false;

  constructor(
    readonly slot: EngineSlot<T>,
    readonly first: boolean,
    readonly open: (ctx: OpenContext) => T | Promise<T>,
    readonly close: (value: T) => void | Promise<void>,
  ) {}

  async preStart(ctx: ActorContext<Message>): Promise<void> {
    if (!this.first) {
      const fresh = await this.open({ fail: (error) => ctx.self.tell({ type: 'failed', error }) });
      this.slot.value = fresh;
      for (const listener of this.slot.renewed) listener(fresh);
    }
    this.#open = true;
  }

  receive(message: Message, ctx: ActorContext<Message>): void {
    ctx.log.warn({ err: message.error }, 'engine connection lost for good; opening a new one');
    throw message.error;
  }

  async preRestart(): Promise<void> {
    await this.#close();
  }

  async postStop(): Promise<void> {
    await this.#close();
  }

  async #close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.close(this.slot.value);
  }
}

/** The `engines` supervisor of one node, spawned on first use. */
export class EngineActors {
  readonly #system: ActorSystem;
  #supervisor: ActorRef<SupervisorMessage> | undefined;

  constructor(system: ActorSystem) {
    this.#system = system;
  }

  /**
   * Opens the resource (a failure rejects, nothing is left behind), then hands it to a new child actor named by
   * `key`, which owns it from then on. Reports of `fail` made by later opens restart that actor.
   */
  async start<T>(key: string, open: (ctx: OpenContext) => T | Promise<T>, close: (value: T) => void | Promise<void>): Promise<EngineSlot<T>> {
    let self: ActorRef<Message> | undefined;
    const early: unknown[] = [];
    const fail = (error: unknown) => (self === undefined ? early.push(error) : self.tell({ type: 'failed', error }));
    const slot: EngineSlot<T> = { value: await open({ fail }), renewed: new Set() };
    let first = true;
    const create = () => {
      const actor = new ConnectionActor(slot, first, open, close);
      first = false;
      return actor;
    };
    try {
      this.#supervisor ??= this.#system.spawnSystem(createSupervisor({ strategy: 'one_for_one', ...ENGINE_SUPERVISION, children: [] }), { name: 'engines' });
      self = (await this.#supervisor.ask({ type: 'start-child', spec: { id: childId(key), start: { kind: 'factory', create } } })) as ActorRef<Message>;
    } catch (err) {
      await close(slot.value);
      throw err;
    }
    for (const error of early) self.tell({ type: 'failed', error });
    return slot;
  }

  /** Stops the actor of `key`, which closes its resource. */
  async stop(key: string): Promise<void> {
    if (this.#supervisor === undefined || this.#system.terminated) return;
    await this.#supervisor.ask({ type: 'stop-child', id: childId(key) }, { timeoutMs: 30_000 });
  }

  /** The connection actors, as their supervisor reports them. */
  async children(): Promise<SupervisorInfo['children']> {
    if (this.#supervisor === undefined || this.#system.terminated) return [];
    return (await this.#supervisor.ask({ type: 'inspect' })).children;
  }

  async close(): Promise<void> {
    const supervisor = this.#supervisor;
    this.#supervisor = undefined;
    if (supervisor !== undefined && !this.#system.terminated) await this.#system.stop(supervisor);
  }
}

/**
 * The child id of a resource key, in the characters actor names allow: `nats nats://127.0.0.1:4222` →
 * `engine-nats@127.0.0.1:4222`, `redis redis://127.0.0.1:6379/2` → `engine-redis@127.0.0.1:6379~2`. No password.
 */
export function childId(key: string): string {
  const space = key.indexOf(' ');
  const engine = space < 0 ? key : key.slice(0, space);
  let where = space < 0 ? '' : key.slice(space + 1);
  try {
    const url = new URL(where);
    const path = url.pathname.replace(/^\/+/, '');
    where = `${url.username === '' ? '' : `${decodeURIComponent(url.username)}@`}${url.host}${path === '' ? '' : `~${path}`}`;
  } catch {
    where = redactUrl(where);
  }
  return `engine-${engine}@${where}`.replace(/[^A-Za-z0-9\-_.~@:+]/g, '_');
}
