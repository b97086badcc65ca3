/** The nats plugin's store and sync factories: JetStream key-value buckets on the node's shared NATS connection. */
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { createStore } from '../../mesh/store/scoped.ts';
import { createSync, lockDefaults } from '../../mesh/sync/locks.ts';
import { shareNats } from './connection.ts';
import { NatsStoreBackend } from './store.ts';
import { NatsSyncBackend } from './sync.ts';

/**
 * `store: 'nats://127.0.0.1:4222'` and `sync: 'nats://127.0.0.1:4222'` (or the bare name `nats`, meaning `defaultUrl`).
 */
export function natsStateFactories(defaultUrl: string): PluginFactory[] {
  return [
    {
      concern: 'store',
      name: 'nats',
      schemes: ['nats'],
      description: 'a JetStream KV bucket per scope; nats://host:4222?prefix=micro-store',
      create: async (target, ctx) => {
        const url = target.url ?? new URL(defaultUrl);
        const settings = { ...ctx.options.nats, ...prefixOf(url, 'store') };
        const lease = await shareNats(url, ctx, settings);
        return createStore(new NatsStoreBackend(lease, settings), { scope: ctx.options.scope, timeoutMs: ctx.options.timeoutMs });
      },
    },
    {
      concern: 'sync',
      name: 'nats',
      schemes: ['nats'],
      description: 'leases in a JetStream KV bucket, taken by compare-and-set; nats://host:4222?prefix=micro-sync',
      create: async (target, ctx) => {
        const url = target.url ?? new URL(defaultUrl);
        const settings = { ...ctx.options.nats, ...prefixOf(url, 'sync') };
        const lease = await shareNats(url, ctx, settings);
        return createSync(new NatsSyncBackend(lease, settings), { clock: ctx.clock, holder: ctx.nodeId, ...lockDefaults(ctx.options) });
      },
    },
  ];
}

/** A KV bucket name: letters, digits, `_` and `-`. */
function prefixOf(url: URL, concern: 'store' | 'sync'): { prefix?: string } {
  const settings: { prefix?: string } = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'prefix' && /^[A-Za-z0-9_-]{1,64}$/.test(value)) settings.prefix = value;
    else throw new MicroError('BAD_REQUEST', `nats ${concern} URL: bad setting ${key}=${JSON.stringify(value)} (known: prefix, letters, digits, _ and - only)`);
  }
  return settings;
}
