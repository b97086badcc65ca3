/**
 * Singleton services: one active instance of a service across the mesh, the others standing by. A singleton is an
 * actor that campaigns in the election `singleton:<service>` on the node's sync; when it leads, it serves and registers
 * the service; when leadership is lost (its lease not confirmed, or the process paused past the TTL) it withdraws the
 * service at once and campaigns again. Stopping it resigns, so a standby takes over without waiting for the TTL.
 */
import type { Clock } from '../actors/clock.ts';
import type { ActorContext, ActorRef, ActorSystem, Logger } from '../actors/index.ts';
import type { ServeOptions } from './server/serve-options.ts';
import type { Service } from './service.ts';
import type { Leadership, Sync } from './sync/sync.ts';

/** `serve(service, { singleton })`: `true`, or the election's settings. */
export interface SingletonOptions {
  /** The leadership lease's TTL: how long a dead leader's service stays unserved at most. @default 10000 */
  readonly ttlMs?: number;
  /** Called each time this node becomes the active one, with the leadership's fencing token. */
  readonly onActive?: (token: number) => void;
  /** Called each time this node stops being the active one. */
  readonly onStandby?: (reason: Error | undefined) => void;
}

/** What a singleton needs from its node. */
export interface SingletonDeps {
  readonly system: ActorSystem;
  readonly clock: Clock;
  readonly sync: Sync;
  readonly log: Logger;
  /** Serves and registers the service. */
  activate(service: Service, options: ServeOptions): Promise<void>;
  /** Deregisters and stops serving it. */
  deactivate(name: string): Promise<void>;
}

type SingletonMessage = { type: 'won'; leadership: Leadership } | { type: 'lost'; token: number; reason: Error };

/** The election a singleton service campaigns in. */
export const singletonElection = (service: string): string => `singleton:${service}`;

class SingletonActor {
  #campaign: AbortController | undefined;
  #leadership: Leadership | undefined;

  constructor(
    readonly deps: SingletonDeps,
    readonly service: Service,
    readonly serveOptions: ServeOptions,
    readonly options: SingletonOptions,
  ) {}

  preStart(ctx: ActorContext<SingletonMessage>): void {
    this.#campaignFor(ctx.self);
  }

  #campaignFor(self: ActorRef<SingletonMessage>): void {
    const campaign = new AbortController();
    this.#campaign = campaign;
    const election = singletonElection(this.service.name);
    this.deps.sync.elect(election, { signal: campaign.signal, ...(this.options.ttlMs === undefined ? {} : { ttlMs: this.options.ttlMs }) }).then(
      (leadership) => {
        if (campaign.signal.aborted) return void leadership.resign().catch(() => {});
        leadership.onLost((reason) => self.tell({ type: 'lost', token: leadership.token, reason }));
        self.tell({ type: 'won', leadership });
      },
      (err: unknown) => {
        if (campaign.signal.aborted) return;
        // The back end failed the campaign (unreachable): report it and try again after a pause.
        this.deps.log.warn({ service: this.service.name, err }, 'singleton: campaign failed; trying again');
        this.deps.clock.setTimeout(() => {
          if (!campaign.signal.aborted) this.#campaignFor(self);
        }, 1000);
      },
    );
  }

  async receive(message: SingletonMessage, ctx: ActorContext<SingletonMessage>): Promise<void> {
    if (message.type === 'won') {
      this.#leadership = message.leadership;
      if (message.leadership.lost) return this.#standby(ctx, undefined);
      await this.deps.activate(this.service, this.serveOptions);
      this.deps.log.info({ service: this.service.name, token: message.leadership.token }, 'singleton: active on this node');
      this.options.onActive?.(message.leadership.token);
      return;
    }
    if (this.#leadership?.token !== message.token) return;
    await this.#standby(ctx, message.reason);
  }

  async #standby(ctx: ActorContext<SingletonMessage>, reason: Error | undefined): Promise<void> {
    this.#leadership = undefined;
    await this.deps.deactivate(this.service.name);
    this.deps.log.warn({ service: this.service.name, reason: reason?.message }, 'singleton: leadership lost; standing by');
    this.options.onStandby?.(reason);
    this.#campaignFor(ctx.self);
  }

  async postStop(): Promise<void> {
    this.#campaign?.abort();
    const leadership = this.#leadership;
    this.#leadership = undefined;
    if (leadership === undefined) return;
    await this.deps.deactivate(this.service.name);
    await leadership.resign().catch(() => {});
  }
}

/**
 * Starts the singleton actor of `service`; resolves at once (this node may stand by). Stop the returned ref to
 * withdraw and resign.
 */
export function startSingleton(deps: SingletonDeps, service: Service, serveOptions: ServeOptions, options: SingletonOptions): ActorRef<SingletonMessage> {
  const start = { kind: 'factory' as const, create: () => new SingletonActor(deps, service, serveOptions, options) };
  return deps.system.spawn(start, { name: `singleton-${service.name}` });
}
