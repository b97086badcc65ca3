import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as v from 'valibot';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import type { ConfigEvent, ConfigSource, ConfigTree, SourceEvents } from '../../../../src/mesh/config/config.ts';
import { createEnvSource } from '../../../../src/mesh/config/env-source.ts';
import { createMemorySource } from '../../../../src/mesh/config/memory-source.ts';
import { createConfig } from '../../../../src/mesh/config/mesh-config.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createActorSystem } from '../../../../src/supervisor/index.ts';
import { waitUntil } from '../../../support/wait.ts';

const reason = (r: string, pattern = /./) => (err: unknown) => err instanceof MicroError && err.reason === r && pattern.test(err.detail);
/** Lets queued reads and merges run. */
const settle = () => new Promise((r) => setImmediate(r));

test('config — sources merge deeply, later wins; get falls back; variables expand from the env', async () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax
  const defaults = createMemorySource({ db: { host: 'localhost', port: 5432, user: '${DB_USER:-app}' }, mode: 'dev' });
  const env = createEnvSource({ env: { MICRO_DB_PORT: '6432', MICRO_MODE: 'prod', MICRO_REGISTRY: 'memory' } });
  const config = await createConfig({ sources: [defaults, env], env: { DB_USER: 'ada' } });
  assert.deepEqual(config.get('db'), { host: 'localhost', port: 6432, user: 'ada' });
  assert.equal(config.get('mode'), 'prod');
  assert.equal(config.get('registry', 'none'), 'none', 'MICRO_REGISTRY is the node\'s, not config');
  assert.equal(config.get('db.missing', 7), 7);
  assert.deepEqual(config.sources, ['memory', 'env']);
  assert.throws(() => (config.get('db') as { port: number }).port++, TypeError, 'the tree handed out is frozen');
  await config.close();
});

test('config — watch fires only when its value changed, after the debounce on the injected clock', async () => {
  const clock = createSimulatedClock();
  const source = createMemorySource({ db: { port: 1 }, other: 1 });
  const config = await createConfig({ sources: [source], clock, debounceMs: 50 });
  const seen: Array<[unknown, unknown]> = [];
  config.watch('db.port', (value, previous) => seen.push([value, previous]));
  const whole: unknown[] = [];
  config.watch('db', (value) => whole.push(value));

  source.set('other', 2);
  await waitUntil(() => clock.pending > 0, 2000, 'the change to reach the config');
  clock.advance(50);
  await waitUntil(() => config.get('other') === 2, 2000, 'the reload');
  source.set('db.port', 1);
  await waitUntil(() => clock.pending > 0);
  clock.advance(50);
  await settle();
  assert.deepEqual(seen, [], 'an unrelated change and an equal value do not fire');

  source.set('db.port', 2);
  source.set('db.port', 3);
  await waitUntil(() => clock.pending > 0);
  clock.advance(49);
  await settle();
  assert.equal(config.get('db.port'), 1, 'not read before the debounce');
  clock.advance(1);
  await waitUntil(() => seen.length === 1, 2000, 'the watcher');
  assert.deepEqual(seen, [[3, 1]], 'two changes in one window are one read');
  assert.deepEqual(whole, [{ port: 3 }], 'a watch of a parent sees a child change');
  await config.close();
});

test('config — scan validates with a Standard Schema (valibot) and names each bad key', async () => {
  const config = await createConfig({ sources: [createMemorySource({ db: { host: 'h', port: 'oops' }, pool: { size: 4 } })] });
  const Pool = v.object({ size: v.number(), idleMs: v.optional(v.number(), 1000) });
  const pool: { size: number; idleMs: number } = config.scan(Pool, 'pool');
  assert.deepEqual(pool, { size: 4, idleMs: 1000 });
  const Db = v.object({ db: v.object({ host: v.string(), port: v.number() }) });
  assert.throws(() => config.scan(Db), reason('CONFIG_INVALID', /"db\.port": .*number/));
  assert.throws(() => config.scan(v.object({ port: v.number() }), 'db'), reason('CONFIG_INVALID', /"db\.port"/));
  assert.throws(() => config.scan({} as never), reason('BAD_REQUEST', /Standard Schema/));
  await config.close();
});

/** A source whose content and failures the test controls. */
function scriptedSource(name: string) {
  const state = { tree: {} as ConfigTree, fail: undefined as Error | undefined, watches: 0, events: undefined as SourceEvents | undefined };
  const source: ConfigSource = {
    name,
    read: async () => {
      if (state.fail !== undefined) throw state.fail;
      return structuredClone(state.tree);
    },
    watch(events) {
      state.watches++;
      state.events = events;
      return { stop() {} };
    },
  };
  return { source, state };
}

test('config — a source that breaks keeps its last good tree and emits an error event naming it', async () => {
  const { source, state } = scriptedSource('file /app.yaml');
  state.tree = { level: 'info' };
  const config = await createConfig({ sources: [source], debounceMs: 1 });
  const events: ConfigEvent[] = [];
  config.onEvent((e) => events.push(e));
  state.fail = new MicroError('CONFIG_INVALID', 'config file /app.yaml:3:1: bad indentation');
  state.events?.changed();
  await waitUntil(() => events.length === 1, 2000, 'the error event');
  const e = events[0];
  assert.ok(e?.type === 'error' && e.source === 'file /app.yaml' && /app\.yaml:3:1/.test(e.error.message));
  assert.equal(config.get('level'), 'info', 'the last good value stays');
  state.fail = undefined;
  state.tree = { level: 'debug' };
  await config.reload();
  assert.equal(config.get('level'), 'debug');
  assert.deepEqual(events.at(-1), { type: 'loaded', source: 'file /app.yaml' });
  await config.close();
});

test('config — at startup a broken source fails; an unreachable one falls back to the others and is reported', async () => {
  const broken = scriptedSource('file /b.yaml');
  broken.state.fail = new MicroError('CONFIG_INVALID', 'config file /b.yaml:1:4: nope');
  await assert.rejects(createConfig({ sources: [broken.source] }), reason('CONFIG_INVALID', /b\.yaml:1:4/));

  const remote = scriptedSource('nats kv config');
  remote.state.fail = new MicroError('UNAVAILABLE', 'nats: cannot connect');
  const config = await createConfig({ sources: [createMemorySource({ timeoutMs: 100 }), remote.source], debounceMs: 1 });
  assert.equal(config.get('timeoutMs'), 100, 'the earlier sources stand in');
  await waitUntil(() => remote.state.watches === 1, 2000, 'the watch to start');
  remote.state.fail = undefined;
  remote.state.tree = { timeoutMs: 200 };
  remote.state.events?.changed();
  await waitUntil(() => config.get('timeoutMs') === 200, 2000, 'the source once reachable');
  await config.close();
});

test('config — each watcher is a supervised actor: a broken watch is restarted with backoff and the source read again', async () => {
  const clock = createSimulatedClock();
  const system = createActorSystem({ nodeId: 'cfg', clock });
  const { source, state } = scriptedSource('etcd /app');
  state.tree = { a: 1 };
  const config = await createConfig({ sources: [source], system, clock, debounceMs: 10 });
  await waitUntil(() => state.watches === 1, 2000, 'the watch to start');
  state.tree = { a: 2 };
  state.events?.failed(new Error('watch stream ended'));
  for (let i = 0; i < 200 && state.watches < 2; i++) {
    clock.advance(100);
    await settle();
  }
  assert.equal(state.watches, 2, 'the watcher actor was restarted and watches again');
  await waitUntil(() => clock.pending > 0);
  clock.advance(10);
  await waitUntil(() => config.get('a') === 2, 2000, 'the read after the restart');
  await config.close();
  await system.terminate();
});
