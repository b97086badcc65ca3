/** The nats plugin: the concerns NATS backs (`nats` and `nats://` URLs), each sharing one connection per URL. */
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { natsBrokerFactory } from './broker-factory.ts';
import { natsConfigFactory } from './config.ts';
import type { JetStreamEventsOptions } from './events-options.ts';
import { natsEventsFactory } from './events-factory.ts';
import type { NatsBrokerOptions, NatsConfigOptions, NatsConnectionOptions, NatsStoreOptions, NatsSyncOptions } from './options.ts';
import { natsRegistryFactory } from './registry.ts';
import { natsStateFactories } from './state-factories.ts';
import { natsTransportFactory } from './transport-factory.ts';

// Every concern's settings for NATS are declared here, where the package's declarations reach them.
declare module '../../mesh/plugins/concerns.ts' {
  interface StoreConcernOptions {
    /** Settings of the `nats` store (a KV bucket per scope); a URL's `?prefix=` overrides them. @default {} */
    nats?: NatsStoreOptions & NatsConnectionOptions;
  }
  interface SyncConcernOptions {
    /** Settings of the `nats` sync (one KV bucket of leases); a URL's `?prefix=` overrides them. @default {} */
    nats?: NatsSyncOptions & NatsConnectionOptions;
  }
}

declare module '../../mesh/broker/factories.ts' {
  interface BrokerConcernOptions {
    /** Settings of the `nats` broker. @default {} */
    nats?: NatsBrokerOptions & NatsConnectionOptions;
  }
}

declare module '../../mesh/events/factories.ts' {
  interface EventsConcernOptions {
    /** Settings of the `nats` (JetStream) events; a URL's `?streamPrefix=` and `?storage=` override them. @default {} */
    nats?: JetStreamEventsOptions;
  }
}

declare module '../../mesh/config/factories.ts' {
  interface ConfigConcernOptions {
    /** Settings of `nats` config sources; a URL's path `/<bucket>/<prefix>` overrides bucket and prefix. @default {} */
    nats?: NatsConfigOptions;
  }
}

/** Where a bare `nats` points. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * The nats plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ registry: 'nats://127.0.0.1:4222' });
 */
export function natsPlugin(): Plugin {
  // Each concern NATS backs adds its factory here, from a module of its own in this folder.
  return definePlugin({
    name: 'nats',
    factories: [...natsStateFactories(DEFAULT_NATS_URL), natsConfigFactory(DEFAULT_NATS_URL), natsTransportFactory(DEFAULT_NATS_URL), natsEventsFactory(DEFAULT_NATS_URL), natsBrokerFactory(), natsRegistryFactory()],
  });
}
