import { connect, type KV, type NatsConnection } from 'nats';
import { silentLogger, systemClock } from '../../src/actors/index.ts';
import type { ConfigSource, ConfigTree } from '../../src/mesh/config/config.ts';
import { kvTree } from '../../src/mesh/config/kv-tree.ts';
import { builtinPlugin } from '../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../src/mesh/plugins/table.ts';
import { EtcdClient } from '../../src/plugins/etcd/client.ts';
import { withEnginePlugins } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';
import { etcdAvailable } from '../support/etcd.ts';
import { describeKvConfigSource } from './config.ts';

/** Resolves a config source by URL through a node-like plugin table (built-in plus engine plugins). */
async function sourceAt(url: string): Promise<{ source: ConfigSource; close(): Promise<void> }> {
  const table = createPluginTable([builtinPlugin(), ...withEnginePlugins([])]);
  const { value } = await table.resolve('config', url, { nodeId: 'conformance', logger: silentLogger, clock: systemClock, options: {} });
  return {
    source: value,
    close: async () => {
      await value.close?.();
      await table.close();
    },
  };
}

describeKvConfigSource('memory kv', async () => {
  const keys = new Map<string, string>();
  const listeners = new Set<() => void>();
  const changed = async () => {
    for (const l of listeners) l();
  };
  const source: ConfigSource = {
    name: 'memory kv',
    read: (): Promise<ConfigTree> => kvTree(keys, { prefix: 'app', separator: '.', where: 'memory kv' }),
    watch: (events) => {
      const l = () => events.changed();
      listeners.add(l);
      return { stop: () => void listeners.delete(l) };
    },
  };
  return {
    source,
    put: (path, text) => {
      keys.set(['app', ...path].join('.'), text);
      return changed();
    },
    putDocument: (text) => {
      keys.set('app', text);
      return changed();
    },
    remove: (path) => {
      keys.delete(['app', ...path].join('.'));
      return changed();
    },
    cleanup: async () => keys.clear(),
  };
});

describeKvConfigSource('nats kv', async () => {
  if (!(await engineAvailable('NATS', 4222))) return undefined;
  const bucket = runId();
  const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
  const kv: KV = await nc.jetstream().views.kv(bucket);
  const { source, close } = await sourceAt(`nats://127.0.0.1:4222/${bucket}/app`);
  return {
    source,
    put: async (path, text) => void (await kv.put(['app', ...path].join('.'), text)),
    putDocument: async (text) => void (await kv.put('app', text)),
    remove: (path) => kv.delete(['app', ...path].join('.')),
    cleanup: async () => {
      await close();
      await kv.destroy();
      await nc.close();
    },
  };
});

describeKvConfigSource('etcd', async () => {
  if (!(await etcdAvailable())) return undefined;
  const prefix = `/${runId()}/config`;
  const etcd = new EtcdClient('http://127.0.0.1:2379');
  const { source, close } = await sourceAt(`etcd://127.0.0.1:2379${prefix}`);
  return {
    source,
    put: (path, text) => etcd.put([prefix, ...path].join('/'), text),
    putDocument: (text) => etcd.put(prefix, text),
    remove: (path) => etcd.deletePrefix([prefix, ...path].join('/')),
    cleanup: async () => {
      await close();
      await etcd.deletePrefix(prefix);
    },
  };
});
