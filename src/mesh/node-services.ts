/**
 * A node's served services: each one's instances, its declared subscriptions and its registration, started together
 * and withdrawn together; singletons run through an actor that serves them only while this node leads.
 */
import type { AnyRef } from '../actors/index.ts';
import { kernelOf } from '../actors/internal.ts';
import type { Subscription } from './broker/api.ts';
import { serveSubscriptions } from './broker/service-subscriptions.ts';
import { type NodeParts, registration } from './node-parts.ts';
import type { ServeOptions } from './server/serve-options.ts';
import type { Service } from './service.ts';
import { startSingleton } from './singleton.ts';
import type { ActorSystem, Logger } from '../actors/index.ts';
import type { Registry } from './registry/registry.ts';
import type { Sync } from './sync/sync.ts';

export interface NodeServicesDeps {
  readonly system: ActorSystem;
  readonly registry: Registry;
  readonly sync: Sync;
  readonly log: Logger;
  readonly parts: NodeParts;
}

export class NodeServices {
  readonly #deps: NodeServicesDeps;
  readonly #singletons: AnyRef[] = [];
  readonly #subscriptions = new Map<string, Subscription[]>();

  constructor(deps: NodeServicesDeps) {
    this.#deps = deps;
  }

  /** Serves `service` now, or, as a singleton, whenever this node leads its election. */
  async serve(service: Service, options: ServeOptions): Promise<void> {
    const { singleton, ...rest } = options;
    if (singleton === undefined || singleton === false) return this.#serve(service, rest);
    const { system, sync, log } = this.#deps;
    const deps = { system, sync, log, clock: kernelOf(system).clock, activate: (s: Service, o: ServeOptions) => this.#serve(s, o), deactivate: (name: string) => this.#withdraw(name) };
    this.#singletons.push(startSingleton(deps, service, rest, singleton === true ? {} : singleton));
  }

  async #serve(service: Service, options: ServeOptions): Promise<void> {
    const { parts } = this.#deps;
    await parts.server.serve(service, options);
    this.#subscriptions.set(service.name, await serveSubscriptions(parts.pubsub, service));
    await parts.register(registration(service));
  }

  /** Deregisters the service, ends its subscriptions and stops its instances. */
  async #withdraw(name: string): Promise<void> {
    const { parts, registry } = this.#deps;
    for (const r of parts.registrations.filter((x) => x.name === name)) {
      parts.registrations.splice(parts.registrations.indexOf(r), 1);
      await registry.deregister(r).catch(() => {});
    }
    const subscriptions = this.#subscriptions.get(name) ?? [];
    this.#subscriptions.delete(name);
    await Promise.all(subscriptions.map((s) => s.unsubscribe().catch(() => {})));
    await parts.server.unserve(name);
  }

  /** Stops the singletons (each resigns, so a standby elsewhere takes over at once). */
  async stopSingletons(): Promise<void> {
    for (const s of this.#singletons.splice(0)) await this.#deps.system.stop(s).catch(() => {});
  }
}
