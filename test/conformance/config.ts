import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigEvent, ConfigSource } from '../../src/mesh/config/config.ts';
import { createConfig } from '../../src/mesh/config/mesh-config.ts';
import { waitUntil } from '../support/wait.ts';

/** A key-value config source under test, and how the test writes to its back end under the source's prefix. */
export interface KvSourceUnderTest {
  readonly source: ConfigSource;
  /** Sets the key of config path `path` to `text`. */
  put(path: readonly string[], text: string): Promise<void>;
  /** Sets the prefix key itself (the document) to `text`. */
  putDocument(text: string): Promise<void>;
  remove(path: readonly string[]): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * The contract of a key-value config source (NATS KV, etcd): keys under the prefix are paths with parsed scalars,
 * the prefix key holds a document, and changes are hot-reloaded through its watch. `setup` returns undefined to skip.
 */
export function describeKvConfigSource(name: string, setup: () => Promise<KvSourceUnderTest | undefined>): void {
  describe(`config source conformance — ${name}`, () => {
    test(`${name} — keys under the prefix are paths; numbers and booleans are parsed; the prefix key is a document`, async (t) => {
      const kv = await setup();
      if (kv === undefined) return t.skip('back end not available');
      try {
        await kv.put(['database', 'address'], 'db:5432');
        await kv.put(['database', 'pool'], '8');
        await kv.put(['features', 'beta'], 'true');
        await kv.putDocument('database:\n  address: from-document\n  tls: false\nname: app\n');
        assert.deepEqual(await kv.source.read(), { database: { address: 'db:5432', pool: 8, tls: false }, features: { beta: true }, name: 'app' });
      } finally {
        await kv.cleanup();
      }
    });

    test(`${name} — a change to a key is hot-reloaded and fires only the watchers of changed values`, async (t) => {
      const kv = await setup();
      if (kv === undefined) return t.skip('back end not available');
      const config = await createConfig({ sources: [kv.source], debounceMs: 10 });
      try {
        await kv.put(['limits', 'rps'], '10');
        await waitUntil(() => config.get('limits.rps') === 10, 5000, 'the first key');
        const rps: unknown[] = [];
        const other: unknown[] = [];
        config.watch('limits.rps', (v) => rps.push(v));
        config.watch('limits.burst', (v) => other.push(v));
        await kv.put(['limits', 'rps'], '20');
        await waitUntil(() => rps.length === 1, 5000, 'the watcher of limits.rps');
        assert.deepEqual(rps, [20]);
        await kv.remove(['limits', 'rps']);
        await waitUntil(() => rps.length === 2, 5000, 'the delete');
        assert.deepEqual(rps, [20, undefined]);
        assert.deepEqual(other, [], 'an unchanged value never fires');
      } finally {
        await config.close();
        await kv.cleanup();
      }
    });

    test(`${name} — a broken document keeps the last good tree and reports the key and line:column`, async (t) => {
      const kv = await setup();
      if (kv === undefined) return t.skip('back end not available');
      await kv.putDocument('mode: safe\n');
      const config = await createConfig({ sources: [kv.source], debounceMs: 10 });
      const errors: Array<Extract<ConfigEvent, { type: 'error' }>> = [];
      config.onEvent((e) => e.type === 'error' && errors.push(e));
      try {
        assert.equal(config.get('mode'), 'safe');
        await kv.putDocument('mode: [unsafe\n');
        await waitUntil(() => errors.length > 0, 5000, 'the error event');
        assert.match(errors[0]?.error.message ?? '', /key .*:2:1: /);
        assert.equal(config.get('mode'), 'safe');
      } finally {
        await config.close();
        await kv.cleanup();
      }
    });
  });
}
