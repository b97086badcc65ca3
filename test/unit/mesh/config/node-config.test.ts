import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createSimulatedClock, silentLogger, systemClock } from '../../../../src/actors/index.ts';
import { createMemorySource } from '../../../../src/mesh/config/memory-source.ts';
import { openNodeConfig } from '../../../../src/mesh/config/open.ts';
import { clientSettingsOf } from '../../../../src/mesh/config/client-settings.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { Middleware } from '../../../../src/mesh/middleware/middleware.ts';
import { builtinPlugin } from '../../../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../../../src/mesh/plugins/table.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { createActorSystem } from '../../../../src/supervisor/index.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { passUntil, passUntilSettled } from '../../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const reason = (r: string, pattern = /./) => (err: unknown) => err instanceof MicroError && err.reason === r && pattern.test(err.detail);

test('node config — node.config reads its sources in order; the config component starts first in the tree', async () => {
  mesh = memoryMesh();
  const node = await mesh.node('c1', { config: [createMemorySource({ db: { port: 1 }, name: 'a' }), createMemorySource({ db: { port: 2 } })] });
  assert.deepEqual(node.config.get('db'), { port: 2 });
  assert.equal(node.config.get('name'), 'a');
  assert.equal((await node.inspect()).children[0]?.id, 'config');
});

test('node config — an unknown source scheme or name is one clear BAD_REQUEST listing the known ones', async () => {
  mesh = memoryMesh();
  await assert.rejects(mesh.node('c2', { config: ['env', 'zk://127.0.0.1:2181/app'] }), reason('BAD_REQUEST', /unknown config scheme "zk:".*known schemes: env:, file:/));
  await assert.rejects(mesh.node('c3', { config: 'consul' }), reason('BAD_REQUEST', /unknown config "consul".*known: env, flags, memory, file/));
  const system = createActorSystem({ nodeId: 'x' });
  const base = { options: {}, table: createPluginTable([builtinPlugin()]), system, nodeId: 'x', logger: silentLogger, clock: systemClock };
  await assert.rejects(openNodeConfig({ ...base, choice: undefined, env: { MICRO_CONFIG: 'env,bogus://x' } }), reason('BAD_REQUEST', /"bogus:".*\(from MICRO_CONFIG\)/));
  const config = await openNodeConfig({ ...base, choice: undefined, env: { MICRO_CONFIG: 'env:?prefix=APP_, memory', APP_A_B: '1' } });
  assert.deepEqual(config.sources, ['env APP_*', 'memory']);
  assert.equal(config.get('a.b'), 1);
  await config.close();
  await system.terminate();
});

test('node config — the client takes its resilience settings from config and follows changes without a restart', async () => {
  mesh = memoryMesh();
  // Deadlines, the config's debounce and the handler's 200 ms of work run on a simulated clock the test advances.
  const clock = createSimulatedClock();
  const live = createMemorySource({ client: { services: { slow: { timeoutMs: 50 } } } });
  const a = await mesh.node('a', { config: [live], configOptions: { debounceMs: 1 }, system: { clock } });
  const b = await mesh.node('b', { system: { clock } });
  const slow = defineService({
    name: 'slow',
    endpoints: {
      'Work.Do': async (_req: unknown, ctx) => {
        await new Promise((resolve, reject) => {
          const t = clock.setTimeout(() => resolve(undefined), 200);
          ctx.signal.addEventListener('abort', () => {
            clock.clearTimeout(t);
            reject(ctx.signal.reason);
          }, { once: true });
        });
        return ctx.caller;
      },
    },
  });
  await b.serve(slow);
  await assert.rejects(passUntilSettled(clock, a.client.call('slow', 'Work.Do', {}), 'the call', 100), reason('TIMEOUT'), 'the configured 50 ms deadline applies');
  live.set('client.services.slow.timeoutMs', 2000);
  await passUntil(clock, () => a.config.get('client.services.slow.timeoutMs') === 2000, 'the config change', 100);
  assert.equal(await passUntilSettled(clock, a.client.call('slow', 'Work.Do', {}), 'the call', 1000), 'a', 'the new deadline applies without a restart');

  const who = (id: string) => defineService({ name: 'who', endpoints: { 'Who.Am': () => id } });
  await a.serve(who('a'));
  await b.serve(who('b'));
  live.set('client', { selector: 'round-robin', retries: 0 });
  await passUntil(clock, () => a.config.get('client.selector') === 'round-robin', 'the selector change', 100);
  const order: string[] = [];
  for (let i = 0; i < 6; i++) order.push(await a.client.call<string>('who', 'Who.Am', {}));
  assert.ok(order.every((id, i) => i === 0 || id !== order[i - 1]), `round-robin alternates: ${order.join(',')}`);
  await assert.rejects(passUntilSettled(clock, a.client.call('slow', 'Work.Do', {}, { timeoutMs: 20 }), 'the call', 100), reason('TIMEOUT'), 'a call\'s own option still wins');
});

test('node config — retries read from config apply to the next call: one attempt, then three', async () => {
  mesh = memoryMesh();
  const live = createMemorySource({ client: { services: { flaky: { retries: 0 } } } });
  let attempts = 0;
  const counting: Middleware = {
    name: 'count',
    attempt: (next) => (a) => {
      attempts++;
      return next(a);
    },
  };
  const clock = createSimulatedClock();
  const a = await mesh.node('ra', { config: [live], configOptions: { debounceMs: 1 }, middleware: [counting], system: { clock } });
  const flaky = defineService({
    name: 'flaky',
    endpoints: {
      'Work.Do': {
        idempotent: true,
        handler: () => {
          throw new MicroError('UNAVAILABLE', 'not now');
        },
      },
    },
  });
  for (const id of ['rb', 'rc', 'rd']) await (await mesh.node(id)).serve(flaky);
  await a.client.call('flaky', 'Work.Do', {}).catch(() => {}); // the three nodes are known from here on
  attempts = 0;
  await assert.rejects(a.client.call('flaky', 'Work.Do', {}), reason('UNAVAILABLE'));
  assert.equal(attempts, 1, 'retries: 0');
  live.set('client.services.flaky.retries', 2);
  await passUntil(clock, () => a.config.get('client.services.flaky.retries') === 2, 'the change', 100);
  attempts = 0;
  await assert.rejects(a.client.call('flaky', 'Work.Do', {}), reason('UNAVAILABLE'));
  assert.equal(attempts, 3, 'retries: 2 tries the two other nodes');
});

test('node config — bad client settings name the key: refused at startup, ignored (previous kept) when changed live', async () => {
  assert.throws(() => clientSettingsOf({ timeoutMs: -1 }), reason('CONFIG_INVALID', /"client\.timeoutMs"/));
  assert.throws(() => clientSettingsOf({ services: { greeter: { selector: 'fastest' } } }), reason('CONFIG_INVALID', /"client\.services\.greeter\.selector" must be one of random/));
  assert.throws(() => clientSettingsOf({ retry: 1 }), reason('CONFIG_INVALID', /"client\.retry": unknown client setting/));
  assert.deepEqual(clientSettingsOf({ timeoutms: 5, services: { g: { RETRIES: 0 } } }), { timeoutMs: 5, services: { g: { retries: 0 } } }, 'keys match in any case (env lower-cases them)');
  mesh = memoryMesh();
  await assert.rejects(mesh.node('bad', { config: [createMemorySource({ client: { retries: 'many' } })] }), reason('CONFIG_INVALID', /"client\.retries"/));
  const live = createMemorySource({ client: { timeoutMs: 1000 } });
  const clock = createSimulatedClock();
  const node = await mesh.node('ok', { config: [live], configOptions: { debounceMs: 1 }, system: { clock } });
  live.set('client.timeoutMs', 'soon');
  await passUntil(clock, () => node.config.get('client.timeoutMs') === 'soon', 'the change', 100);
  await passUntil(clock, () => mesh.logs.get('ok')?.entries.some((r) => /client settings refused/.test(r.message)) === true, 'the refusal in the log', 100);
});
