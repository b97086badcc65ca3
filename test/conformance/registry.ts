import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../src/mesh/errors.ts';
import type { Endpoint, Registry, Service, WatchEvent, Watcher } from '../../src/mesh/registry/registry.ts';
import { eventually as retryUntil } from '../support/wait.ts';

/**
 * The registry contract, run against each implementation. A registry may be eventually consistent (mDNS: a write
 * on one node reaches another's cache a packet later), so reads after writes wait with a deadline.
 */
export function describeRegistry(name: string, factory: () => Registry | Promise<Registry>): void {
  const withRegistry = (fn: (r: Registry) => Promise<void>) => async () => {
    const registry = await factory();
    try {
      await fn(registry);
    } finally {
      await registry.close();
    }
  };

  describe(`registry conformance — ${name}`, { timeout: 30_000 }, () => {
    test('registry — register, then get and list the service', withRegistry(async (r) => {
      await r.register(svc('conf-greeter', '1.0.0', ['n1'], [hello]));
      const [version] = await eventually(() => r.getService('conf-greeter'));
      assert.equal(version.name, 'conf-greeter');
      assert.equal(version.version, '1.0.0');
      assert.deepEqual(version.metadata, { team: 'core' });
      assert.deepEqual(version.endpoints, [hello]);
      assert.deepEqual(version.nodes, [node('n1')]);
      const all = await r.listServices();
      assert.ok(all.some((s) => s.name === 'conf-greeter' && s.version === '1.0.0'));
    }));

    test('registry — two versions are two entries', withRegistry(async (r) => {
      await r.register(svc('conf-versions', '1', ['a']));
      await r.register(svc('conf-versions', '2', ['b']));
      const versions = await eventually(async () => {
        const found = await r.getService('conf-versions');
        assert.equal(found.length, 2);
        return found;
      });
      const sorted = [...versions].sort((x, y) => x.version.localeCompare(y.version));
      assert.deepEqual(sorted.map((s) => [s.version, s.nodes.map((n) => n.id)]), [['1', ['a']], ['2', ['b']]]);
    }));

    test('registry — two nodes of one version are one entry with both', withRegistry(async (r) => {
      await r.register(svc('conf-nodes', '1', ['n1']));
      await r.register(svc('conf-nodes', '1', ['n2']));
      await eventually(async () => {
        const found = await r.getService('conf-nodes');
        assert.equal(found.length, 1);
        assert.deepEqual(ids(found[0]), ['n1', 'n2']);
      });
    }));

    test('registry — deregistering one node keeps the other, the last one removes the service', withRegistry(async (r) => {
      await r.register(svc('conf-dereg', '1', ['n1', 'n2']));
      await eventually(async () => assert.deepEqual(ids((await r.getService('conf-dereg'))[0]), ['n1', 'n2']));
      await r.deregister(svc('conf-dereg', '1', ['n1']));
      await eventually(async () => assert.deepEqual(ids((await r.getService('conf-dereg'))[0]), ['n2']));
      await r.deregister(svc('conf-dereg', '1', ['n2']));
      await eventually(() => assert.rejects(r.getService('conf-dereg'), isNotFound('conf-dereg')));
      assert.ok(!(await r.listServices()).some((s) => s.name === 'conf-dereg'));
    }));

    test('registry — an unknown service rejects with SERVICE_NOT_FOUND naming it', withRegistry(async (r) => {
      await assert.rejects(r.getService('conf-nobody-serves-this'), isNotFound('conf-nobody-serves-this'));
    }));

    test('registry — watch reports create, update and delete, and folds into what getService says', withRegistry(async (r) => {
      const watch = collectWatch(r.watch());
      try {
        await r.register(svc('conf-watch', '1', ['n1']));
        const created = await watch.next((e) => e.service.name === 'conf-watch');
        assert.equal(created.type, 'create');
        assert.deepEqual(ids(created.service), ['n1']);
        await r.register(svc('conf-watch', '1', ['n2']));
        const updated = await watch.next((e) => e.service.name === 'conf-watch');
        assert.equal(updated.type, 'update');
        assert.deepEqual(ids(updated.service), ['n1', 'n2']);
        await r.deregister(svc('conf-watch', '1', ['n1']));
        const deleted = await watch.next((e) => e.service.name === 'conf-watch');
        assert.equal(deleted.type, 'delete');
        assert.deepEqual(ids(deleted.service), ['n1']);
        const view = foldEvents(watch.events.filter((e) => e.service.name === 'conf-watch'));
        assert.deepEqual([...view.values()].map(ids), [['n2']]);
        assert.deepEqual(ids((await r.getService('conf-watch'))[0]), ['n2']);
      } finally {
        watch.stop();
      }
    }));

    test('registry — registering again with new endpoints updates them', withRegistry(async (r) => {
      const watch = collectWatch(r.watch({ service: 'conf-reregister' }));
      try {
        await r.register(svc('conf-reregister', '1', ['n1'], [hello]));
        await watch.next((e) => e.type === 'create');
        await r.register(svc('conf-reregister', '1', ['n1'], [hello, bye]));
        const updated = await watch.next((e) => e.type === 'update');
        assert.deepEqual(updated.service.endpoints, [hello, bye]);
        await eventually(async () => assert.deepEqual((await r.getService('conf-reregister'))[0].endpoints, [hello, bye]));
      } finally {
        watch.stop();
      }
    }));

    test('registry — a watch for one service sees only that service', withRegistry(async (r) => {
      const watch = collectWatch(r.watch({ service: 'conf-only-a' }));
      try {
        await r.register(svc('conf-only-b', '1', ['b1']));
        await r.register(svc('conf-only-a', '1', ['a1']));
        await watch.next((e) => e.service.name === 'conf-only-a');
        assert.ok(watch.events.every((e) => e.service.name === 'conf-only-a'));
      } finally {
        watch.stop();
      }
    }));

    test('registry — stop ends a watcher\'s iteration', withRegistry(async (r) => {
      const watcher = r.watch();
      const ended = (async () => {
        for await (const _ of watcher) {
          // nothing is registered; the loop only ends
        }
        return 'ended';
      })();
      watcher.stop();
      assert.equal(await withDeadline(ended, 1000, 'watch loop to end'), 'ended');
    }));

    test('registry — a service without a name or nodes rejects with BAD_REQUEST', withRegistry(async (r) => {
      const isBad = (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST';
      await assert.rejects(r.register({ ...svc('x', '1', ['n1']), name: '' }), isBad);
      await assert.rejects(r.register(svc('conf-no-nodes', '1', [])), isBad);
      await assert.rejects(r.register({ name: 'conf-garbage', nodes: [{ id: 7 }] } as unknown as Service), isBad);
    }));

    test('registry — close ends watchers and later calls reject with UNAVAILABLE', async () => {
      const r = await factory();
      const watcher = r.watch();
      const ended = (async () => {
        for await (const _ of watcher) {
          // ends on close
        }
      })();
      await r.close();
      await withDeadline(ended, 1000, 'watch loop to end on close');
      const isUnavailable = (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE';
      await assert.rejects(r.register(svc('conf-closed', '1', ['n1'])), isUnavailable);
      await assert.rejects(r.getService('conf-closed'), isUnavailable);
      await r.close();
    });
  });
}

const hello: Endpoint = { name: 'Say.Hello', metadata: { stream: 'false' }, request: { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string' }] }, response: { name: 'Response', type: 'Response' } };
const bye: Endpoint = { name: 'Say.Bye', metadata: {} };

export function node(id: string): Service['nodes'][number] {
  return { id, address: `127.0.0.1:${4000 + id.length}`, metadata: { zone: 'local' } };
}

export function svc(name: string, version: string, nodeIds: string[], endpoints: Endpoint[] = []): Service {
  return { name, version, metadata: { team: 'core' }, endpoints, nodes: nodeIds.map(node) };
}

export const ids = (s: Service): string[] => s.nodes.map((n) => n.id).sort();

export const isNotFound = (name: string) => (err: unknown) =>
  err instanceof MicroError && err.reason === 'SERVICE_NOT_FOUND' && err.code === 404 && err.detail.includes(name);

/** Retries `fn` (an assertion or a read) until it passes or the deadline passes, then throws its last error. */
export function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  return retryUntil(fn, timeoutMs);
}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface WatchCollector {
  readonly events: WatchEvent[];
  /** The next event (after those already returned) that matches, waiting up to `timeoutMs`. */
  next(match?: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  stop(): void;
}

/** Reads a watcher in the background, so tests can wait for events with a deadline. */
export function collectWatch(watcher: Watcher): WatchCollector {
  const events: WatchEvent[] = [];
  let cursor = 0;
  let wake: (() => void) | undefined;
  void (async () => {
    for await (const event of watcher) {
      events.push(event);
      wake?.();
    }
  })();
  const next = async (match: (e: WatchEvent) => boolean = () => true, timeoutMs = 3000): Promise<WatchEvent> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (cursor < events.length) {
        const event = events[cursor++];
        if (match(event)) return event;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching watch event within ${timeoutMs} ms (saw ${JSON.stringify(events.map((e) => [e.type, e.service.name, ids(e.service)]))})`);
      await withDeadline(new Promise<void>((r) => { wake = r; }), left, 'a watch event').catch(() => {});
      wake = undefined;
    }
  };
  return { events, next, stop: () => watcher.stop() };
}

/** Applies events in order: create/update replace a version, delete removes its listed nodes. */
export function foldEvents(events: readonly WatchEvent[]): Map<string, Service> {
  const view = new Map<string, Service>();
  for (const { type, service } of events) {
    const key = `${service.name}@${service.version}`;
    if (type !== 'delete') {
      view.set(key, service);
      continue;
    }
    const current = view.get(key);
    if (current === undefined) continue;
    const gone = new Set(service.nodes.map((n) => n.id));
    const nodes = current.nodes.filter((n) => !gone.has(n.id));
    if (nodes.length === 0) view.delete(key);
    else view.set(key, { ...current, nodes });
  }
  return view;
}
