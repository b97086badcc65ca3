/**
 * What the NATS store and sync share: JetStream key-value buckets opened once per name, keys encoded so that any
 * string is a legal KV key, and compare-and-set on the entry's stream revision.
 */
import type { KV, KvEntry, KvOptions, NatsConnection } from 'nats';
import { MicroError } from '../../mesh/errors.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { natsError } from './connection.ts';

/** JetStream's "wrong last sequence": a compare-and-set lost to another writer. */
const WRONG_LAST_SEQUENCE = 10071;

/** Whether `err` is a lost compare-and-set. */
export function isCasConflict(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

/**
 * A KV key holds only `[-/_=.a-zA-Z0-9]`: any other key is written as base64url of its UTF-8 bytes, which uses
 * only those characters and never starts or ends with a dot.
 */
export function encodeKvKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeKvKey(encoded: string): string {
  return Buffer.from(encoded, 'base64url').toString('utf8');
}

/**
 * Opens buckets on one connection, each once, creating it when missing (one value per key, no history, and the
 * `options` given, such as a TTL).
 */
export class KvBuckets {
  readonly #lease: SharedLease<NatsConnection>;
  readonly #what: string;
  readonly #open = new Map<string, Promise<KV>>();
  readonly #opened = new Map<string, KV>();
  readonly #options: Partial<KvOptions>;

  constructor(lease: SharedLease<NatsConnection>, what: string, options: Partial<KvOptions> = {}) {
    this.#lease = lease;
    this.#what = what;
    this.#options = options;
  }

  bucket(name: string): Promise<KV> {
    let kv = this.#open.get(name);
    if (kv === undefined) {
      kv = this.#lease.value.jetstream().views.kv(name, { ...this.#options, history: 1 });
      this.#open.set(name, kv);
      // A bucket that could not be opened (server down) is tried again on the next call.
      kv.then(
        (opened) => this.#opened.set(name, opened),
        () => this.#open.delete(name),
      );
    }
    return kv.catch((err: unknown) => {
      throw natsError(`${this.#what}: bucket ${name}`, err);
    });
  }

  /** The bucket when it is open already: calls on it need not wait for a promise. */
  opened(name: string): KV | undefined {
    return this.#opened.get(name);
  }

  /** A client error as a MicroError (a lost compare-and-set is left as it is for the caller). */
  failed(err: unknown): unknown {
    if (err instanceof MicroError || isCasConflict(err)) return err;
    return natsError(this.#what, err);
  }

  /** Runs `op`, mapping client errors to MicroErrors (a lost compare-and-set is left as it is for the caller). */
  async run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.failed(err);
    }
  }

  close(): Promise<void> {
    return this.#lease.release();
  }
}

/** The entry when it holds a value (not a delete or purge marker). */
export function live(entry: KvEntry | null): KvEntry | undefined {
  return entry !== null && entry.operation === 'PUT' ? entry : undefined;
}

/** A bucket name for a scope: `<prefix>_<len>_<database>_<table>`; the length keeps `a_b`/`c` apart from `a`/`b_c`. */
export function scopeBucket(prefix: string, database: string, table: string): string {
  return `${prefix}_${database.length}_${database}_${table}`;
}
