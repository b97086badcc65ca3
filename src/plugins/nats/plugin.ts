/** The nats plugin: the concerns NATS backs (`nats` and `nats://` URLs), each sharing one connection per URL. */
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { natsRegistryFactory } from './registry.ts';

/** Where a bare `nats` points. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * The nats plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ registry: 'nats://127.0.0.1:4222' });
 */
export function natsPlugin(): Plugin {
  // Each concern NATS backs adds its factory here, from a module of its own in this folder.
  return definePlugin({ name: 'nats', factories: [natsRegistryFactory()] });
}
