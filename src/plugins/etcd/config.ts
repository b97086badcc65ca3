/**
 * The etcd config source: `etcd://host:2379/<prefix>`. Keys under the prefix are paths (`/micro/config/database/port`
 * = `5432` is `database.port` with prefix `/micro/config`), the prefix key itself may hold a YAML or JSON document.
 * An etcd watch hot-reloads it; an unreachable etcd does not fail the node (the source starts empty, its watcher
 * retries).
 */
import type { ConfigSource, ConfigTree, SourceEvents, SourceWatch } from '../../mesh/config/config.ts';
import { kvTree, type KvLayout } from '../../mesh/config/kv-tree.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import { EtcdClient, type EtcdClientOptions } from './client.ts';

declare module '../../mesh/config/factories.ts' {
  interface ConfigConcernOptions {
    /** Settings of `etcd` config sources; a URL's path overrides the prefix. @default {} */
    etcd?: EtcdConfigOptions;
  }
}

export interface EtcdConfigOptions extends EtcdClientOptions {
  /** The key prefix, `/`-separated. @default '/micro/config' */
  prefix?: string;
}

/** Where a bare `etcd` points. */
export const DEFAULT_ETCD_URL = 'etcd://127.0.0.1:2379';

/** Endpoint and prefix of `etcd://host:port/<prefix>`. */
export function etcdConfigTarget(url: URL, options: EtcdConfigOptions): { endpoint: string; prefix: string } {
  if (url.username !== '' || url.password !== '') throw new MicroError('BAD_REQUEST', `etcd config URL ${JSON.stringify(redactUrl(url.href))}: credentials are not supported`);
  for (const key of url.searchParams.keys()) throw new MicroError('BAD_REQUEST', `etcd config URL: unknown setting "${key}" (use etcd://host:2379/<prefix>)`);
  const path = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  const prefix = path !== '' ? path : (options.prefix ?? '/micro/config').replace(/\/+$/, '');
  return { endpoint: `http://${url.host || '127.0.0.1:2379'}`, prefix };
}

/** An etcd config source. */
export function createEtcdConfigSource(url: URL, options: EtcdConfigOptions = {}): ConfigSource {
  const { endpoint, prefix } = etcdConfigTarget(url, options);
  const client = new EtcdClient(endpoint, options);
  const layout: KvLayout = { prefix, separator: '/', where: `etcd ${endpoint}` };
  return {
    name: `etcd ${endpoint}${prefix}`,
    async read(): Promise<ConfigTree> {
      return kvTree(await client.range(prefix), layout);
    },
    watch(events: SourceEvents): Promise<SourceWatch> {
      return client.watch(prefix, { changed: () => events.changed(), ended: (err) => events.failed(err) });
    },
  };
}

/** The etcd plugin's config factory: `etcd` and `etcd://…` sources. */
export function etcdConfigFactory(): PluginFactory {
  return {
    concern: 'config',
    name: 'etcd',
    schemes: ['etcd'],
    description: 'keys under a prefix in etcd (v3 JSON gateway), hot-reloaded; etcd://host:2379/micro/config',
    create: (target, ctx) => createEtcdConfigSource(target.url ?? new URL(DEFAULT_ETCD_URL), ctx.options.etcd),
  };
}
