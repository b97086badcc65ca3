import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import type { RpcServer } from '../../../bench/lib/rpc-impl.ts';
import { rawTcpImpl } from '../../../bench/peers/raw-tcp.ts';

describe('raw-tcp peer', () => {
  let server: RpcServer;
  before(async () => {
    server = await rawTcpImpl.startServer();
  });
  after(() => server.stop());

  it('raw-tcp — echoes JSON bodies of any size, each reply matched to its call', async () => {
    const client = await rawTcpImpl.createClient(server.address);
    try {
      const bodies = Array.from({ length: 300 }, (_, i) => ({ i, text: 'ü'.repeat(i * 37), nested: { list: [i, null, true] } }));
      const replies = await Promise.all(bodies.map((b) => client.call(b)));
      assert.deepEqual(replies, bodies);
      assert.equal(await client.call('plain string'), 'plain string');
    } finally {
      await client.close();
    }
  });

  it('raw-tcp — close() rejects calls in flight and later calls with a MicroError', async () => {
    const client = await rawTcpImpl.createClient(server.address);
    const inFlight = client.call({ big: 'x'.repeat(100_000) });
    await client.close();
    await assert.rejects(inFlight, (err: MicroError) => err instanceof MicroError && err.reason === 'CANCELLED');
    await assert.rejects(client.call(1), MicroError);
  });

  it('raw-tcp — a client of a server that went away fails its calls, not the process', async () => {
    const other = await rawTcpImpl.startServer();
    const client = await rawTcpImpl.createClient(other.address);
    try {
      assert.equal(await client.call(1), 1);
      await other.stop();
      await assert.rejects(client.call(2), MicroError);
    } finally {
      await client.close();
    }
  });
});
