/** The engine plugins (NATS, PostgreSQL, Redis, etcd): each loads its client only when a node chooses it. */
import type { Plugin } from '../mesh/plugins/plugin.ts';
import { natsPlugin } from './nats/plugin.ts';
import { postgresPlugin } from './postgres/plugin.ts';
import { redisPlugin } from './redis/plugin.ts';
import { etcdPlugin } from './etcd/plugin.ts';

export { natsPlugin, DEFAULT_NATS_URL } from './nats/plugin.ts';
export { postgresPlugin, DEFAULT_POSTGRES_URL } from './postgres/plugin.ts';
export { redisPlugin, DEFAULT_REDIS_URL } from './redis/plugin.ts';
export { etcdPlugin, DEFAULT_ETCD_URL } from './etcd/plugin.ts';

/** Every engine plugin, in the order a node adds them after the built-in one and the user's. */
export function enginePlugins(): Plugin[] {
  return [natsPlugin(), postgresPlugin(), redisPlugin(), etcdPlugin()];
}
