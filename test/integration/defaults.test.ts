import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNode, defineService } from '../../src/index.ts';

test('defaults — createNode() with no options joins this host’s mDNS mesh on loopback and serves calls', async () => {
  const server = await createNode();
  const client = await createNode();
  try {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(server.registry.name, 'mdns');
    const name = `defaults-${process.pid}-${Date.now().toString(36)}`;
    await server.serve(defineService({ name, endpoints: { 'Echo.Call': (req: unknown) => req } }));
    assert.deepEqual(await client.client.call(name, 'Echo.Call', { hi: 1 }, { timeoutMs: 5000 }), { hi: 1 });
  } finally {
    await client.stop();
    await server.stop();
  }
});
