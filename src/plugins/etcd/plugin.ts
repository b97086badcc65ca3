/** The etcd plugin: config sources in etcd (`etcd` and `etcd://` URLs), through etcd's v3 JSON gateway. */
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { etcdConfigFactory } from './config.ts';

export { DEFAULT_ETCD_URL } from './config.ts';

/**
 * The etcd plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ config: ['env', 'etcd://127.0.0.1:2379/micro/config'] });
 */
export function etcdPlugin(): Plugin {
  return definePlugin({ name: 'etcd', factories: [etcdConfigFactory()] });
}
