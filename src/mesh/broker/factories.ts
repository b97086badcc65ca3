/**
 * The broker concern: its node-level settings (declared into the plugin table's maps) and the built-in factories,
 * `mesh` (the embedded default) and `memory`.
 */
import type { PluginFactory } from '../plugins/plugin.ts';
import type { Broker } from './broker.ts';
import { createMemoryBroker, type MemoryBrokerOptions } from './memory.ts';
import { createMeshNativeBroker } from './mesh-native.ts';

/**
 * Node-level settings of the broker concern, handed to every broker factory; engine plugins add their own fields
 * (`nats`, `redis`) by declaration merging.
 */
export interface BrokerConcernOptions {
  /** Where dead-lettered messages are published, as JSON {@link DeadLetter} records. @default 'micro.deadletter' */
  deadLetterTopic?: string;
  /** Settings of the `memory` broker; pass one `hub` to nodes that should hear each other. @default {} */
  memory?: MemoryBrokerOptions;
}

declare module '../plugins/concerns.ts' {
  interface PluginConcerns {
    broker: Broker;
  }
  interface ConcernOptions {
    broker: BrokerConcernOptions;
  }
}

export function builtinBrokerFactories(): PluginFactory[] {
  return [
    {
      concern: 'broker',
      name: 'mesh',
      description: 'over the mesh itself (the default): subscribers found through the registry, messages over the transport',
      create: () => createMeshNativeBroker(),
    },
    {
      concern: 'broker',
      name: 'memory',
      description: 'in this process only; pass one `memory.hub` to nodes that should hear each other',
      create: (_target, ctx) => createMemoryBroker({ ...ctx.options.memory }),
    },
  ];
}
