/**
 * One PostgreSQL pool per URL for the whole node, shared by every concern PostgreSQL backs. `pg` is imported when the
 * first pool opens, so a node that never uses PostgreSQL never loads it.
 */
import { MicroError } from '../../mesh/errors.ts';
import { importOptional } from '../../mesh/plugins/import-optional.ts';
import type { PluginContext } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';

/**
 * What micromesh uses of a `pg` Pool. Declared here so that the package's types never name `pg`'s, which live in
 * `@types/pg`, a package a user of micromesh need not install.
 */
export interface PostgresPool {
  /** With `name`, the statement is prepared once per connection under that name (the same name, the same `sql`). */
  query(sql: string, params?: unknown[], name?: string): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

export interface PostgresConnectionOptions {
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** How long opening a connection may take. @default 5000 */
  connectTimeoutMs?: number;
}

/**
 * The settings a URL gives: `postgres://user:password@host:port/database`; without a user, env PGUSER, else `postgres`.
 * Connections name themselves `micromesh <node id>` (pg_stat_activity.application_name).
 */
function poolConfig(url: URL, ctx: Pick<PluginContext, 'env' | 'nodeId'>, options: PostgresConnectionOptions) {
  const env = ctx.env;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? 5432 : Number(url.port),
    database: database === '' ? undefined : database,
    user: url.username === '' ? (env.PGUSER ?? 'postgres') : decodeURIComponent(url.username),
    password: url.password === '' ? env.PGPASSWORD : decodeURIComponent(url.password),
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    application_name: `micromesh ${ctx.nodeId}`.slice(0, 63),
  };
}

/**
 * The node's pool for `url`, opened on first use. Release the lease when the thing using it closes.
 * @example
 * const lease = await sharePostgresPool(target.url, ctx, {});
 * await lease.value.query('SELECT 1');
 */
export function sharePostgresPool(url: URL, ctx: PluginContext, options: PostgresConnectionOptions): Promise<SharedLease<PostgresPool>> {
  const config = poolConfig(url, ctx, options);
  const key = `postgres postgres://${config.user}@${config.host}:${config.port}/${config.database ?? ''}`;
  return ctx.shared(
    key,
    async (): Promise<PostgresPool> => {
      const pg = await importOptional<typeof import('pg') & { default?: typeof import('pg') }>('pg', { plugin: 'postgres', concern: ctx.concern });
      const pool = new (pg.Pool ?? (pg.default as typeof import('pg')).Pool)(config);
      // An idle connection that drops is replaced on the next query; without a listener it would crash the process.
      pool.on('error', (err) => ctx.logger.warn({ err: err.message, url: redactUrl(url.href) }, 'postgres: an idle connection failed'));
      return {
        query: (sql, params, name) => (name === undefined ? pool.query(sql, params) : pool.query({ name, text: sql, values: params })),
        end: () => pool.end(),
      };
    },
    (pool) => pool.end(),
  );
}

/**
 * A driver error as a MicroError: connection failures (no SQLSTATE, or classes 08, 53, 57) are UNAVAILABLE and
 * retryable; any other SQL error is INTERNAL.
 */
export function postgresError(what: string, err: unknown): MicroError {
  if (err instanceof MicroError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const sqlState = typeof code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : undefined;
  const unavailable = sqlState === undefined || /^(08|53|57)/.test(sqlState);
  return new MicroError(unavailable ? 'UNAVAILABLE' : 'INTERNAL', `${what}: ${message || String(code)}`, { cause: err });
}
