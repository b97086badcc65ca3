import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { builtinPlugin } from '../../../../src/mesh/plugins/builtin.ts';
import { createPluginTable } from '../../../../src/mesh/plugins/table.ts';
import { resolveTransports } from '../../../../src/mesh/plugins/transports.ts';
import { addressWithScheme, dialableAddress, nodeAddresses, ownAddressFor, schemeOf } from '../../../../src/mesh/transport/addresses.ts';
import { createMemoryNetwork, createMemoryTransport } from '../../../../src/mesh/transport/memory.ts';
import { createMultiTransport } from '../../../../src/mesh/transport/multi.ts';
import { createTcpTransport } from '../../../../src/mesh/transport/tcp.ts';

test('addresses — the scheme names the transport; a node lists every address and a caller takes the first it can dial', () => {
  assert.equal(schemeOf('127.0.0.1:4000'), 'tcp');
  assert.equal(schemeOf('tcp://127.0.0.1:4000'), 'tcp');
  assert.equal(schemeOf('NATS://node-1'), 'nats');
  assert.equal(schemeOf('mem://a'), 'mem');
  const node = { id: 'n', address: '127.0.0.1:4000', metadata: { addresses: '127.0.0.1:4000 nats://n' } };
  assert.deepEqual(nodeAddresses(node), ['127.0.0.1:4000', 'nats://n']);
  assert.equal(dialableAddress(node, (a) => a.startsWith('nats://')), 'nats://n');
  assert.equal(dialableAddress(node, (a) => a.startsWith('mem://')), undefined);
  assert.equal(dialableAddress(node, undefined), '127.0.0.1:4000');
  assert.equal(addressWithScheme(node, 'nats'), 'nats://n');
  assert.equal(addressWithScheme({ ...node, metadata: {} }, 'nats'), undefined);
  assert.equal(ownAddressFor(['127.0.0.1:1', 'nats://me'], 'nats://you'), 'nats://me');
  assert.equal(ownAddressFor(['127.0.0.1:1', 'nats://me'], 'mem://you'), '127.0.0.1:1');
});

test('multi transport — listens on each, lists every address, and dials by scheme', async () => {
  const network = createMemoryNetwork();
  const tcp = createTcpTransport();
  const multi = createMultiTransport([
    { transport: tcp, owned: true },
    { transport: createMemoryTransport({ network }), owned: true },
  ]);
  assert.equal(multi.name, 'tcp+memory');
  const accepted: string[] = [];
  const listener = await multi.listen('127.0.0.1:0', (conn) => accepted.push(conn.id));
  try {
    assert.match(listener.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(listener.addresses?.length, 2);
    assert.match(listener.addresses?.[1] ?? '', /^mem:\/\//);
    assert.equal(multi.canDial?.('nats://x'), false);
    const dialer = createMultiTransport([
      { transport: createTcpTransport(), owned: true },
      { transport: createMemoryTransport({ network }), owned: true },
    ]);
    const viaMem = await dialer.dial(listener.addresses?.[1] as string);
    const viaTcp = await dialer.dial(listener.address);
    assert.ok(viaMem.id.startsWith('memory-') && viaTcp.id.startsWith('tcp-'));
    const err = await dialer.dial('nats://x').catch((e: unknown) => e);
    assert.ok(err instanceof MicroError && err.reason === 'CONNECT_FAILED', String(err));
    await dialer.close();
  } finally {
    await listener.close();
    await multi.close();
  }
});

test('transport choice — MICRO_TRANSPORT may list several (commas or spaces); one stays a plain transport', async () => {
  const table = createPluginTable([builtinPlugin()]);
  const both = await resolveTransports(table, { nodeId: 'n', env: { MICRO_TRANSPORT: 'tcp, memory' } }, undefined, 'tcp');
  assert.equal(both.value.name, 'tcp+memory');
  assert.equal(both.owned, true);
  await both.value.close();
  const one = await resolveTransports(table, { nodeId: 'n', env: { MICRO_TRANSPORT: 'memory' } }, undefined, 'tcp');
  assert.equal(one.value.name, 'memory');
  await one.value.close();
  const fromOption = await resolveTransports(table, { nodeId: 'n', env: { MICRO_TRANSPORT: 'memory' } }, ['memory', 'tcp'], 'tcp');
  assert.equal(fromOption.value.name, 'memory+tcp');
  await fromOption.value.close();
  await assert.rejects(resolveTransports(table, { nodeId: 'n', env: {} }, ['tcp', 'nope'], 'tcp'), (e: unknown) => e instanceof MicroError && e.reason === 'BAD_REQUEST');
  await table.close();
});
