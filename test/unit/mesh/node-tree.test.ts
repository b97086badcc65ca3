import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createMemoryRegistry } from '../../../src/mesh/registry/memory.ts';
import type { Registry, WatchEvent, Watcher } from '../../../src/mesh/registry/registry.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { waitUntil } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

/** A registry whose first watch breaks after its first event, as a dropped registry connection would. */
function flakyWatchRegistry(inner: Registry): Registry & { watches: number } {
  let watches = 0;
  const flaky: Registry & { watches: number } = {
    name: inner.name,
    get watches() {
      return watches;
    },
    register: (s, o) => inner.register(s, o),
    deregister: (s) => inner.deregister(s),
    getService: (n) => inner.getService(n),
    listServices: () => inner.listServices(),
    close: () => inner.close(),
    watch: (options) => flakyWatch(options),
  };
  const flakyWatch = (options: Parameters<Registry['watch']>[0]): Watcher => {
    const watcher = inner.watch(options);
    const n = ++watches;
    return {
      stop: () => watcher.stop(),
      async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
        for await (const event of watcher) {
          yield event;
          if (n === 1) throw new Error('registry connection dropped');
        }
      },
    } as Watcher;
  };
  return flaky;
}

test('node tree — components start in order under the node supervisor and stop in reverse', async () => {
  mesh = memoryMesh();
  const node = await mesh.node('tree');
  const tree = await node.inspect();
  assert.deepEqual(
    tree.children.map((c) => c.id),
    ['config', 'registry', 'store', 'sync', 'events', 'auth', 'listener', 'peers', 'registry-watch', 'server', 'remote-actors', 'reminders', 'broker', 'registration'],
  );
  const stopped: string[] = [];
  node.system.events.on('actor-stopped', (e) => {
    if (e.actor.startsWith('/system/node/')) stopped.push(e.actor.slice('/system/node/'.length));
  });
  await node.stop();
  assert.deepEqual(stopped, ['registration', 'broker', 'reminders', 'remote-actors', 'server', 'registry-watch', 'peers', 'listener', 'auth', 'events', 'sync', 'store', 'registry', 'config']);
});

test('node tree — a registry watch that breaks is restarted by the node supervisor, and the cache keeps following the registry', async () => {
  mesh = memoryMesh();
  const registry = flakyWatchRegistry(createMemoryRegistry());
  const a = await mesh.node('a', { registry });
  const b = await mesh.node('b', { registry });
  await b.serve(defineService({ name: 'first', endpoints: { 'F.Go': () => 'first' } }));
  // b's registration is an event a's watch receives, then that watch breaks: the component fails and restarts.
  await waitUntil(() => registry.watches >= 3, 5000, 'the watch restarted');
  const tree = await a.inspect();
  const watch = tree.children.find((c) => c.id === 'registry-watch');
  assert.ok((watch?.restarts ?? 0) >= 1, 'the registry watch was restarted');
  assert.equal(await a.client.call('first', 'F.Go', {}), 'first');
  // The restarted watch still invalidates: a new version shows up for the next lookup.
  await b.serve(defineService({ name: 'second', endpoints: { 'S.Go': () => 'second' } }));
  assert.equal(await a.client.call('second', 'S.Go', {}), 'second');
});
