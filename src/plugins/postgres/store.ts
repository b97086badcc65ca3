/**
 * The PostgreSQL store: one table (default `micromesh_store`) holding every scope, created on first use.
 *
 *   scope TEXT ('<database>/<table>') | key TEXT COLLATE "C" | value BYTEA | metadata JSONB | revision BIGINT
 *   | expires_at TIMESTAMPTZ (NULL: never), PRIMARY KEY (scope, key)
 *
 * The "C" collation orders keys by code point and lets `key LIKE 'prefix%'` use the primary key. Expiry is by the
 * database's clock; expired rows are invisible at once and deleted in the background. The SQL is kept to what
 * CockroachDB also accepts (INSERT … ON CONFLICT, no advisory locks).
 */
import { createHash } from 'node:crypto';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { type BackendQuery, type BackendWrite, copyBytes, revisionConflict, type StoreBackend } from '../../mesh/store/backend.ts';
import type { StoreRecord, StoreScope } from '../../mesh/store/store.ts';
import { MicroError } from '../../mesh/errors.ts';
import { type PostgresPool, postgresError } from './connection.ts';

export interface PostgresStoreOptions {
  /** The table; created on first use. A `?table=` in the URL sets it too. @default 'micromesh_store' */
  table?: string;
  /** The longest key, in UTF-8 bytes (keys are in a B-tree index). @default 1024 */
  maxKeyBytes?: number;
  /** How often expired rows are deleted, at most. @default 60000 */
  purgeEveryMs?: number;
}

export function defaultPostgresStoreOptions() {
  return { table: 'micromesh_store', maxKeyBytes: 1024, purgeEveryMs: 60_000 };
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const LIVE = '(expires_at IS NULL OR expires_at > now())';
const COLUMNS = 'key, value, metadata, revision, expires_at';
const EXPIRES = `CASE WHEN $5::FLOAT8 IS NULL THEN NULL ELSE now() + $5::FLOAT8 * INTERVAL '1 millisecond' END`;

interface Row {
  key: string;
  value: Buffer;
  metadata: Record<string, string>;
  revision: string | number;
  expires_at: Date | null;
}

export class PostgresStoreBackend implements StoreBackend {
  readonly name = 'postgres';
  readonly maxKeyBytes: number;
  readonly #lease: SharedLease<PostgresPool>;
  readonly #table: string;
  readonly #purgeEveryMs: number;
  readonly #sql: Statements;
  #ready: Promise<void> | undefined;
  #lastPurge = Date.now();

  constructor(lease: SharedLease<PostgresPool>, options: PostgresStoreOptions = {}) {
    const d = defaultPostgresStoreOptions();
    const table = options.table ?? d.table;
    if (!TABLE_NAME.test(table)) throw new MicroError('BAD_REQUEST', `postgres store table ${JSON.stringify(table)}: use lowercase letters, digits and _ (at most 63)`);
    this.#lease = lease;
    this.#table = `"${table}"`;
    this.maxKeyBytes = options.maxKeyBytes ?? d.maxKeyBytes;
    this.#purgeEveryMs = options.purgeEveryMs ?? d.purgeEveryMs;
    this.#sql = statements(this.#table);
  }

  async #query(sql: string, params: unknown[], name?: string): Promise<Row[]> {
    await this.#ensureTable();
    try {
      return (await this.#lease.value.query(sql, params, name)).rows as Row[];
    } catch (err) {
      throw postgresError('postgres store', err);
    }
  }

  #ensureTable(): Promise<void> {
    this.#ready ??= this.#createTable().catch((err: unknown) => {
      this.#ready = undefined;
      throw postgresError(`postgres store: cannot create table ${this.#table}`, err);
    });
    return this.#ready;
  }

  async #createTable(): Promise<void> {
    const pool = this.#lease.value;
    const t = this.#table;
    const index = `"${t.slice(1, -1)}_expires_at"`;
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${t} (scope TEXT NOT NULL, key TEXT COLLATE "C" NOT NULL, value BYTEA NOT NULL, metadata JSONB NOT NULL DEFAULT '{}', revision BIGINT NOT NULL, expires_at TIMESTAMPTZ, PRIMARY KEY (scope, key))`);
      await pool.query(`CREATE INDEX IF NOT EXISTS ${index} ON ${t} (expires_at)`);
    } catch (err) {
      // Two processes creating the table at once: the loser's catalog insert fails, and the table is there.
      if ((err as { code?: unknown }).code !== '23505' && (err as { code?: unknown }).code !== '42P07') throw err;
    }
  }

  async get(scope: StoreScope, key: string): Promise<StoreRecord | undefined> {
    const rows = await this.#query(this.#sql.get.text, [scopeOf(scope), key], this.#sql.get.name);
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async query(scope: StoreScope, q: BackendQuery): Promise<StoreRecord[]> {
    return (await this.#select(COLUMNS, scope, q)).map(toRecord);
  }

  async keys(scope: StoreScope, q: BackendQuery): Promise<string[]> {
    return (await this.#select('key', scope, q)).map((r) => r.key);
  }

  #select(columns: string, scope: StoreScope, q: BackendQuery): Promise<Row[]> {
    const params: unknown[] = [scopeOf(scope), `${escapeLike(q.prefix)}%`, `%${escapeLike(q.suffix)}`, q.offset];
    const limit = q.limit === undefined ? '' : ` LIMIT $${params.push(q.limit)}`;
    const sql = `SELECT ${columns} FROM ${this.#table} WHERE scope = $1 AND key LIKE $2 ESCAPE '\\' AND key LIKE $3 ESCAPE '\\' AND ${LIVE} ORDER BY key${limit} OFFSET $4`;
    return this.#query(sql, params);
  }

  async put(scope: StoreScope, w: BackendWrite): Promise<StoreRecord> {
    this.#maybePurge();
    const params: unknown[] = [scopeOf(scope), w.key, Buffer.from(w.value.buffer, w.value.byteOffset, w.value.byteLength), JSON.stringify(w.metadata), w.ttlMs ?? null];
    let statement: Statement;
    if (w.ifRevision === undefined) statement = this.#sql.put;
    else if (w.ifRevision === 0) statement = this.#sql.create;
    else {
      params.push(w.ifRevision);
      statement = this.#sql.update;
    }
    const [row] = await this.#query(statement.text, params, statement.name);
    if (row !== undefined) return { key: w.key, value: copyBytes(w.value), metadata: w.metadata, revision: Number(row.revision), expiresAt: row.expires_at?.getTime() };
    if (w.ifRevision === undefined) throw new MicroError('INTERNAL', `postgres store: the write of ${JSON.stringify(w.key)} returned no row`);
    const current = await this.get(scope, w.key).catch(() => undefined);
    throw revisionConflict(this.name, w.key, w.ifRevision, current?.revision);
  }

  async remove(scope: StoreScope, key: string): Promise<boolean> {
    const rows = await this.#query(`DELETE FROM ${this.#table} WHERE scope = $1 AND key = $2 RETURNING ${LIVE} AS live`, [scopeOf(scope), key]);
    return rows.some((r) => (r as unknown as { live: boolean }).live);
  }

  #maybePurge(): void {
    if (Date.now() - this.#lastPurge < this.#purgeEveryMs) return;
    this.#lastPurge = Date.now();
    this.#query(`DELETE FROM ${this.#table} WHERE expires_at <= now()`, []).catch(() => {});
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}

interface Statement {
  name: string;
  text: string;
}

interface Statements {
  get: Statement;
  put: Statement;
  create: Statement;
  update: Statement;
}

/** The single-record statements, prepared once per connection (named by a digest of their text). */
function statements(t: string): Statements {
  const insert = `INSERT INTO ${t} AS s (scope, key, value, metadata, revision, expires_at) VALUES ($1, $2, $3, $4::JSONB, 1, ${EXPIRES})
      ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, metadata = excluded.metadata, expires_at = excluded.expires_at`;
  const expired = 's.expires_at IS NOT NULL AND s.expires_at <= now()';
  const written = 'revision, expires_at';
  const named = (text: string): Statement => ({ name: `micromesh_store_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text });
  return {
    get: named(`SELECT ${COLUMNS} FROM ${t} WHERE scope = $1 AND key = $2 AND ${LIVE}`),
    put: named(`${insert}, revision = CASE WHEN ${expired} THEN 1 ELSE s.revision + 1 END RETURNING ${written}`),
    create: named(`${insert}, revision = 1 WHERE ${expired} RETURNING ${written}`),
    update: named(
      `UPDATE ${t} SET value = $3, metadata = $4::JSONB, expires_at = ${EXPIRES}, revision = revision + 1 WHERE scope = $1 AND key = $2 AND revision = $6 AND ${LIVE} RETURNING ${written}`,
    ),
  };
}

const scopeOf = (scope: StoreScope): string => `${scope.database}/${scope.table}`;

/** `%`, `_` and `\` are literal in a prefix or suffix. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

function toRecord(row: Row): StoreRecord {
  return {
    key: row.key,
    value: copyBytes(row.value),
    metadata: row.metadata ?? {},
    revision: Number(row.revision),
    expiresAt: row.expires_at === null ? undefined : row.expires_at.getTime(),
  };
}
