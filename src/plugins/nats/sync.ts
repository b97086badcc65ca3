/**
 * The NATS KV sync: one bucket (`micro-sync`), one key per lock id (base64url of the id) whose value is
 * `{"token":n,"holder":"…","expiresAt":ms}` (expiresAt 0 when free). The key is never deleted, so the fencing token
 * keeps growing across releases; acquire, renew and release are compare-and-sets on the entry's revision, so two
 * takers never both win. Expiry is judged by the clocks of the contenders (keep them in sync, as with any lease).
 */
import type { KV, NatsConnection } from 'nats';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import type { SyncBackend } from '../../mesh/sync/backend.ts';
import { encodeKvKey, isCasConflict, KvBuckets, live } from './kv.ts';
import type { NatsSyncOptions } from './options.ts';

export type { NatsSyncOptions };


export function defaultNatsSyncOptions() {
  return { prefix: 'micro-sync' };
}

interface LockState {
  token: number;
  holder: string;
  expiresAt: number;
}

const FREE: LockState = { token: 0, holder: '', expiresAt: 0 };

export class NatsSyncBackend implements SyncBackend {
  readonly name = 'nats';
  readonly #buckets: KvBuckets;
  readonly #bucket: string;

  constructor(lease: SharedLease<NatsConnection>, options: NatsSyncOptions = {}) {
    this.#buckets = new KvBuckets(lease, 'nats sync');
    this.#bucket = options.prefix ?? defaultNatsSyncOptions().prefix;
  }

  /** The lock's state and the revision to compare-and-set against (0: the key was never written). */
  async #read(kv: KV, id: string): Promise<{ state: LockState; revision: number }> {
    const entry = await this.#buckets.run(() => kv.get(encodeKvKey(id)));
    const held = live(entry);
    return { state: held === undefined ? FREE : (held.json() as LockState), revision: entry?.revision ?? 0 };
  }

  /** Writes `next` if the entry is still at `revision`; false when another writer got there first. */
  async #swap(kv: KV, id: string, next: LockState, revision: number): Promise<boolean> {
    try {
      await this.#buckets.run(() => kv.put(encodeKvKey(id), JSON.stringify(next), { previousSeq: revision }));
      return true;
    } catch (err) {
      if (isCasConflict(err)) return false;
      throw err;
    }
  }

  async acquire(id: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const kv = await this.#buckets.bucket(this.#bucket);
    const { state, revision } = await this.#read(kv, id);
    const now = Date.now();
    if (state.expiresAt > now) return undefined;
    const token = state.token + 1;
    return (await this.#swap(kv, id, { token, holder, expiresAt: now + ttlMs }, revision)) ? token : undefined;
  }

  async renew(id: string, token: number, ttlMs: number): Promise<boolean> {
    const kv = await this.#buckets.bucket(this.#bucket);
    const { state, revision } = await this.#read(kv, id);
    const now = Date.now();
    if (state.token !== token || state.expiresAt <= now) return false;
    return this.#swap(kv, id, { ...state, expiresAt: now + ttlMs }, revision);
  }

  async release(id: string, token: number): Promise<boolean> {
    const kv = await this.#buckets.bucket(this.#bucket);
    const { state, revision } = await this.#read(kv, id);
    if (state.token !== token || state.expiresAt <= Date.now()) return false;
    return this.#swap(kv, id, { token, holder: '', expiresAt: 0 }, revision);
  }

  close(): Promise<void> {
    return this.#buckets.close();
  }
}
