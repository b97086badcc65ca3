import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createMemorySource } from '../../../../src/mesh/config/memory-source.ts';
import type { ConfigTree } from '../../../../src/mesh/config/config.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { waitUntil } from '../../../support/wait.ts';
import { greeter, rules, testKeys } from './support.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

test('auth — without rules in authOptions, the rules are the config key auth.rules, and a change to it applies without a restart', async () => {
  const [keys] = await testKeys();
  mesh = memoryMesh();
  const settings = createMemorySource({ auth: { rules } } as unknown as ConfigTree);
  const server = await mesh.node('server', { auth: 'jwt', authOptions: { ...keys }, config: [settings] });
  await server.serve(greeter);
  const client = await mesh.node('client', { auth: 'jwt', authOptions: { ...keys, rules } });
  assert.deepEqual(await client.client.call('greeter', 'Say.Hello', { name: 'Ada' }), { msg: 'Hello Ada' });
  assert.deepEqual(server.auth.rules().map((r) => r.id).sort(), rules.map((r) => r.id).sort());
  // The config now denies greeter to everyone: the next call is a 403 naming the rule.
  const deny = [{ id: 'closed', resource: { type: 'service', name: 'greeter', endpoint: '*' }, scope: '*', access: 'deny', priority: 1000 }, ...rules];
  settings.set('auth.rules', deny as unknown as ConfigTree[string]);
  await waitUntil(() => server.auth.rules().some((r) => r.id === 'closed'), 5000, 'the new rules');
  await assert.rejects(client.client.call('greeter', 'Say.Hello', { name: 'Ada' }), (err: unknown) => err instanceof MicroError && err.code === 403 && /closed/.test(err.detail));
});
