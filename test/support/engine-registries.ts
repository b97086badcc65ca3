import { silentLogger } from '../../src/actors/logger.ts';
import { systemClock } from '../../src/actors/clock.ts';
import type { PluginContext } from '../../src/mesh/plugins/plugin.ts';
import { createPluginResources } from '../../src/mesh/plugins/resources.ts';
import type { LinkedRegistry, LinkedRegistryOptions } from '../../src/mesh/registry/linked.ts';
import type { Registry } from '../../src/mesh/registry/registry.ts';
import { shareNats } from '../../src/plugins/nats/connection.ts';
import { createNatsRegistry } from '../../src/plugins/nats/registry.ts';
import { shareRedis } from '../../src/plugins/redis/connection.ts';
import { createRedisRegistry } from '../../src/plugins/redis/registry.ts';

export type Engine = 'nats' | 'redis';

/** A plugin context of its own (own shared connections), as a node would hand a registry factory. */
export function registryContext(nodeId = 'test'): { ctx: PluginContext<'registry'>; close(): Promise<void> } {
  const resources = createPluginResources();
  const ctx: PluginContext<'registry'> = {
    concern: 'registry',
    nodeId,
    logger: silentLogger,
    env: {},
    clock: systemClock,
    options: {},
    shared: (key, open, close) => resources.acquire(key, open, close),
  };
  return { ctx, close: () => resources.close() };
}

/** A NATS or Redis registry on its own connection; closing it closes that connection. */
export async function engineRegistry(engine: Engine, prefix: string, options: LinkedRegistryOptions & { url?: string } = {}): Promise<LinkedRegistry> {
  const { ctx, close } = registryContext();
  const url = new URL(options.url ?? (engine === 'nats' ? 'nats://127.0.0.1:4222' : 'redis://127.0.0.1:6379'));
  const registry =
    engine === 'nats'
      ? createNatsRegistry(await shareNats(url, ctx), { queryWindowMs: 100, ...options, prefix: prefix.replaceAll(':', '.') })
      : createRedisRegistry(await shareRedis(url, ctx, {}), { ...options, prefix });
  await registry.ready();
  const closeRegistry = registry.close.bind(registry);
  registry.close = async () => {
    await closeRegistry();
    await close();
  };
  return registry;
}

/** Writes on one registry, reads and watches on another. */
export function splitRegistry(writer: Registry, reader: Registry): Registry {
  return {
    name: `${writer.name}-pair`,
    register: (service, options) => writer.register(service, options),
    deregister: (service) => writer.deregister(service),
    getService: (name) => reader.getService(name),
    listServices: () => reader.listServices(),
    watch: (options) => reader.watch(options),
    close: async () => {
      await Promise.all([writer.close(), reader.close()]);
    },
  };
}
