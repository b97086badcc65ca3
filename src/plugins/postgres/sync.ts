/**
 * The PostgreSQL sync: one lease row per lock id in one table (default `micromesh_locks`), created on first use.
 *
 *   id TEXT PRIMARY KEY | holder TEXT | token BIGINT | expires_at TIMESTAMPTZ
 *
 * Acquire is one `INSERT … ON CONFLICT (id) DO UPDATE … WHERE expires_at <= now()`: a free or expired row is taken
 * and its token incremented in the same statement, and a live one is left alone (no row returned). A release only
 * expires the row, so the token keeps growing. Time is the database's clock. Row locks only, no advisory locks: an
 * advisory lock lives as long as one session, so a lease could not outlive a pooled connection or be renewed
 * from another, and CockroachDB has none.
 */
import { MicroError } from '../../mesh/errors.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import type { SyncBackend } from '../../mesh/sync/backend.ts';
import { type PostgresPool, postgresError } from './connection.ts';

export interface PostgresSyncOptions {
  /** The lease table; created on first use. A `?table=` in the URL sets it too. @default 'micromesh_locks' */
  table?: string;
}

export function defaultPostgresSyncOptions() {
  return { table: 'micromesh_locks' };
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const TTL = `$3::FLOAT8 * INTERVAL '1 millisecond'`;

export class PostgresSyncBackend implements SyncBackend {
  readonly name = 'postgres';
  readonly #lease: SharedLease<PostgresPool>;
  readonly #table: string;
  #ready: Promise<void> | undefined;

  constructor(lease: SharedLease<PostgresPool>, options: PostgresSyncOptions = {}) {
    const table = options.table ?? defaultPostgresSyncOptions().table;
    if (!TABLE_NAME.test(table)) throw new MicroError('BAD_REQUEST', `postgres sync table ${JSON.stringify(table)}: use lowercase letters, digits and _ (at most 63)`);
    this.#lease = lease;
    this.#table = `"${table}"`;
  }

  async #query(sql: string, params: unknown[]): Promise<unknown[]> {
    this.#ready ??= this.#createTable().catch((err: unknown) => {
      this.#ready = undefined;
      throw postgresError(`postgres sync: cannot create table ${this.#table}`, err);
    });
    await this.#ready;
    try {
      return (await this.#lease.value.query(sql, params)).rows;
    } catch (err) {
      throw postgresError('postgres sync', err);
    }
  }

  async #createTable(): Promise<void> {
    try {
      await this.#lease.value.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (id TEXT PRIMARY KEY, holder TEXT NOT NULL, token BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`);
    } catch (err) {
      // Two processes creating the table at once: the loser's catalog insert fails, and the table is there.
      if ((err as { code?: unknown }).code !== '23505' && (err as { code?: unknown }).code !== '42P07') throw err;
    }
  }

  async acquire(id: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const t = this.#table;
    const rows = (await this.#query(
      `INSERT INTO ${t} AS l (id, holder, token, expires_at) VALUES ($1, $2, 1, now() + ${TTL})
       ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, token = l.token + 1, expires_at = EXCLUDED.expires_at
       WHERE l.expires_at <= now() RETURNING token`,
      [id, holder, ttlMs],
    )) as Array<{ token: string }>;
    return rows[0] === undefined ? undefined : Number(rows[0].token);
  }

  async renew(id: string, token: number, ttlMs: number): Promise<boolean> {
    const rows = await this.#query(`UPDATE ${this.#table} SET expires_at = now() + ${TTL} WHERE id = $1 AND token = $2 AND expires_at > now() RETURNING 1`, [id, token, ttlMs]);
    return rows.length === 1;
  }

  async release(id: string, token: number): Promise<boolean> {
    const rows = await this.#query(`UPDATE ${this.#table} SET expires_at = '-infinity' WHERE id = $1 AND token = $2 AND expires_at > now() RETURNING 1`, [id, token]);
    return rows.length === 1;
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}
