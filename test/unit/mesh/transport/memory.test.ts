import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createMemoryNetwork, createMemoryTransport } from '../../../../src/mesh/transport/memory.ts';
import type { Connection, Frame } from '../../../../src/mesh/transport/transport.ts';
import { connectPair, frameOf, pattern, waitFor } from '../../../conformance/transport.ts';

describe('memory transport', () => {
  test('memory — ":0" binds a fresh address each time; a taken name is refused', async () => {
    const network = createMemoryNetwork();
    const transport = createMemoryTransport({ network });
    try {
      const a = await transport.listen('mem://node:0', () => {});
      const b = await transport.listen('mem://node:0', () => {});
      assert.notEqual(a.address, b.address);
      assert.match(a.address, /^mem:\/\/node:\d+$/);
      const named = await transport.listen('solo', () => {});
      assert.equal(named.address, 'mem://solo');
      await assert.rejects(transport.listen('mem://solo', () => {}), (err: unknown) => err instanceof MicroError);
      await named.close();
      const again = await transport.listen('mem://solo', () => {});
      assert.equal(again.address, 'mem://solo', 'a closed listener frees its address');
    } finally {
      await transport.close();
    }
  });

  test('memory — transports on different networks cannot see each other', async () => {
    const server = createMemoryTransport();
    const client = createMemoryTransport();
    try {
      const listener = await server.listen('mem://x', () => {});
      await assert.rejects(client.dial(listener.address), (err: unknown) => err instanceof MicroError && err.reason === 'CONNECT_FAILED');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test('memory — an endless echo between two connections still lets timers run', async () => {
    const network = createMemoryNetwork();
    const server = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
    const client = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
    try {
      const pair = await connectPair(server, client, 'mem://echo:0');
      let bounces = 0;
      const limit = 1_000_000;
      const bounce = (conn: Connection) => (frame: Frame) => {
        if (++bounces < limit) conn.send(frame);
      };
      pair.server.setHandler({ onFrame: bounce(pair.server), onClose: () => {} });
      pair.client.setHandler({ onFrame: bounce(pair.client), onClose: () => {} });
      pair.client.send(frameOf(1, pattern(16, 1)));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const atTimer = bounces;
      assert.ok(atTimer < limit, 'the timer fired while the echo was still going');
      await waitFor(() => bounces > atTimer + 100, 'the echo to keep going');
      bounces = limit;
    } finally {
      await client.close();
      await server.close();
    }
  });
});
