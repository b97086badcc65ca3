/** The postgres plugin: store and sync `postgres` (also `postgres://` and `postgresql://` URLs). */
import { MicroError } from '../../mesh/errors.ts';
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { createStore } from '../../mesh/store/scoped.ts';
import { type PostgresConnectionOptions, sharePostgresPool } from './connection.ts';
import { PostgresStoreBackend, type PostgresStoreOptions } from './store.ts';
import { PostgresSyncBackend, type PostgresSyncOptions } from './sync.ts';
import { createSync, lockDefaults } from '../../mesh/sync/locks.ts';

declare module '../../mesh/plugins/concerns.ts' {
  interface StoreConcernOptions {
    /** Settings of the `postgres` store; a URL's `?table=` and `?poolSize=` override them. @default {} */
    postgres?: PostgresStoreOptions & PostgresConnectionOptions;
  }
  interface SyncConcernOptions {
    /** Settings of the `postgres` sync; a URL's `?table=` and `?poolSize=` override them. @default {} */
    postgres?: PostgresSyncOptions & PostgresConnectionOptions;
  }
}

/** Where a bare `postgres` points. */
export const DEFAULT_POSTGRES_URL = 'postgres://127.0.0.1:5432';

/**
 * The postgres plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ store: 'postgres://app@db:5432/app?table=app_store' });
 */
export function postgresPlugin(): Plugin {
  return definePlugin({
    name: 'postgres',
    factories: [
      {
        concern: 'store',
        name: 'postgres',
        schemes: ['postgres', 'postgresql'],
        description: 'one table in PostgreSQL (or CockroachDB); postgres://user@host:5432/db?table=micromesh_store',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_POSTGRES_URL);
          const settings = { ...ctx.options.postgres, ...urlSettings(url, 'store') };
          const lease = await sharePostgresPool(url, ctx, settings);
          return createStore(new PostgresStoreBackend(lease, settings), { scope: ctx.options.scope, timeoutMs: ctx.options.timeoutMs });
        },
      },
      {
        concern: 'sync',
        name: 'postgres',
        schemes: ['postgres', 'postgresql'],
        description: 'a lease row per lock, taken by one INSERT … ON CONFLICT; postgres://user@host:5432/db?table=micromesh_locks',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_POSTGRES_URL);
          const settings = { ...ctx.options.postgres, ...urlSettings(url, 'sync') };
          const lease = await sharePostgresPool(url, ctx, settings);
          return createSync(new PostgresSyncBackend(lease, settings), { clock: ctx.clock, holder: ctx.nodeId, ...lockDefaults(ctx.options) });
        },
      },
    ],
  });
}

function urlSettings(url: URL, concern: 'store' | 'sync'): PostgresStoreOptions & PostgresConnectionOptions {
  const settings: PostgresStoreOptions & PostgresConnectionOptions = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'table') settings.table = value;
    else if (key === 'poolSize' && /^[1-9][0-9]*$/.test(value)) settings.poolSize = Number(value);
    else throw new MicroError('BAD_REQUEST', `postgres ${concern} URL: bad setting ${key}=${JSON.stringify(value)} (known: table, poolSize)`);
  }
  return settings;
}
