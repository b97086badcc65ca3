import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock, type SimulatedClock } from '../../../../src/actors/clock.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createMemoryNetwork, createMemoryTransport, type MemoryNetwork } from '../../../../src/mesh/transport/memory.ts';
import { createPeerPool, type PeerPoolOptions } from '../../../../src/mesh/transport/peer-pool.ts';
import { backoffDelay } from '../../../../src/supervisor/backoff.ts';
import type { Connection, DialOptions, Listener, Transport, TransportStats } from '../../../../src/mesh/transport/transport.ts';
import { frameOf, Inbox, pattern, waitFor } from '../../../conformance/transport.ts';

/** A memory transport whose dials are counted and can be made to fail or wait on a gate. */
class ScriptedTransport implements Transport {
  readonly name = 'scripted';
  readonly dials: string[] = [];
  failing = false;
  gate: Promise<void> | undefined;
  readonly #inner: Transport;

  constructor(network: MemoryNetwork) {
    this.#inner = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
  }

  listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener> {
    return this.#inner.listen(address, onConnection);
  }

  async dial(address: string, options?: DialOptions): Promise<Connection> {
    this.dials.push(address);
    if (this.gate !== undefined) await this.gate;
    if (this.failing) throw new MicroError('CONNECT_FAILED', `dial ${address} failed: refused`);
    return this.#inner.dial(address, options);
  }

  stats(): TransportStats {
    return this.#inner.stats();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

interface Fixture {
  network: MemoryNetwork;
  server: Transport;
  client: ScriptedTransport;
  accepted: Connection[];
  clock: SimulatedClock;
}

async function withPool(
  options: PeerPoolOptions,
  body: (fx: Fixture, pool: ReturnType<typeof createPeerPool>) => Promise<void>,
): Promise<void> {
  const network = createMemoryNetwork();
  const server = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
  const client = new ScriptedTransport(network);
  const accepted: Connection[] = [];
  await server.listen('mem://b', (conn) => {
    conn.setHandler(new Inbox());
    accepted.push(conn);
  });
  const clock = createSimulatedClock();
  const pool = createPeerPool(client, { clock, jitter: 0, ...options });
  try {
    await body({ network, server, client, accepted, clock }, pool);
  } finally {
    await pool.close();
    await client.close();
    await server.close();
  }
}

const isReason = (reason: string) => (err: unknown) => err instanceof MicroError && err.reason === reason;

describe('peer pool', () => {
  test('peer pool — concurrent gets share one dial and one connection', async () => {
    await withPool({}, async ({ client }, pool) => {
      const conns = await Promise.all([1, 2, 3, 4, 5].map(() => pool.get('mem://b')));
      assert.equal(new Set(conns).size, 1);
      assert.equal(await pool.get('mem://b'), conns[0]);
      assert.equal(pool.peek('mem://b'), conns[0]);
      assert.equal(pool.size, 1);
      assert.deepEqual(client.dials, ['mem://b']);
    });
  });

  test('peer pool — the onConnection handler hears frames and the close; the next get redials', async () => {
    const inbox = new Inbox();
    await withPool({ onConnection: () => inbox }, async ({ client, accepted }, pool) => {
      const first = await pool.get('mem://b');
      await waitFor(() => accepted.length === 1, 'the accepted side');
      accepted[0].send(frameOf(9, pattern(5, 9)));
      await inbox.untilFrames(1);
      assert.equal(inbox.frames[0].streamId, 9);
      accepted[0].close();
      await inbox.untilClosed();
      assert.equal(pool.peek('mem://b'), undefined);
      const second = await pool.get('mem://b');
      assert.notEqual(second, first);
      assert.equal(second.closed, false);
      assert.equal(client.dials.length, 2);
    });
  });

  test('peer pool — failed dials back off exponentially to the cap, rejecting at once inside the window', async () => {
    await withPool({ backoffMinMs: 50, backoffMaxMs: 5000 }, async ({ client, clock }, pool) => {
      client.failing = true;
      for (const window of [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]) {
        const dialsBefore = client.dials.length;
        await assert.rejects(pool.get('mem://b'), /refused/);
        assert.equal(client.dials.length, dialsBefore + 1, 'a dial happened');
        clock.advance(window - 1);
        await assert.rejects(pool.get('mem://b'), (err: unknown) => {
          assert.ok(isReason('CONNECT_FAILED')(err) && (err as MicroError).retryable);
          assert.match((err as Error).message, /mem:\/\/b unreachable, next dial in 1 ms \(last: .*refused\)/);
          return true;
        });
        assert.equal(client.dials.length, dialsBefore + 1, `no dial inside the ${window} ms window`);
        clock.advance(1);
      }
    });
  });

  test('peer pool — jitter moves the wait within ±jitter of the backoff (the shared backoffDelay)', async () => {
    for (const [random, window] of [[0, 25], [0.5, 50], [0.999, 75]] as const) {
      await withPool({ jitter: 0.5, random: () => random }, async ({ client, clock }, pool) => {
        client.failing = true;
        await assert.rejects(pool.get('mem://b'));
        clock.advance(window - 1);
        await assert.rejects(pool.get('mem://b'), /next dial in 1 ms/, `random ${random}`);
        clock.advance(1);
        await assert.rejects(pool.get('mem://b'), /refused/);
        assert.equal(client.dials.length, 2);
        assert.equal(backoffDelay(0, { minMs: 50, jitter: 0.5, random: () => random }), window, 'the same delay as backoffDelay');
      });
    }
  });

  test('peer pool — a successful dial resets the backoff', async () => {
    await withPool({}, async ({ client, clock, accepted }, pool) => {
      client.failing = true;
      for (let i = 0; i < 3; i++) {
        await assert.rejects(pool.get('mem://b'));
        clock.advance(10_000);
      }
      client.failing = false;
      const conn = await pool.get('mem://b');
      await waitFor(() => accepted.length === 1, 'the accepted side');
      conn.close();
      client.failing = true;
      await assert.rejects(pool.get('mem://b'));
      clock.advance(50);
      await assert.rejects(pool.get('mem://b'), /refused/, 'the window is back to 50 ms');
    });
  });

  test('peer pool — adopt pools an accepted connection so get does not dial; a second adopt needs replace', async () => {
    await withPool({}, async ({ network, client }, pool) => {
      const other = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
      try {
        const conns: Connection[] = [];
        const listener = await other.listen('mem://a', () => {});
        conns.push(await other.dial('mem://b'), await other.dial('mem://b'));
        assert.equal(pool.adopt('mem://a', conns[0]), true);
        assert.equal(await pool.get('mem://a'), conns[0]);
        assert.equal(pool.adopt('mem://a', conns[1]), false);
        assert.equal(pool.adopt('mem://a', conns[1], { replace: true }), true);
        assert.equal(await pool.get('mem://a'), conns[1]);
        assert.deepEqual(client.dials, []);
        await listener.close();
      } finally {
        await other.close();
      }
    });
  });

  test('peer pool — a connection adopted while a dial is in flight wins; the late dial is closed', async () => {
    await withPool({}, async ({ network, client, accepted }, pool) => {
      let open = (): void => {};
      client.gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const pending = pool.get('mem://b');
      const other = createMemoryTransport({ network, heartbeatIntervalMs: 0 });
      try {
        const adopted = await other.dial('mem://b');
        assert.equal(pool.adopt('mem://b', adopted), false, 'not without replace while a dial is pending');
        assert.equal(pool.adopt('mem://b', adopted, { replace: true }), true);
        open();
        assert.equal(await pending, adopted);
        await waitFor(() => accepted.length === 2 && accepted.every((c) => c !== undefined), 'both accepted');
        await waitFor(() => accepted.filter((c) => c.closed).length === 1, 'the late dialed connection to close');
        assert.equal(pool.peek('mem://b'), adopted);
      } finally {
        await other.close();
      }
    });
  });

  test('peer pool — close closes pooled connections and later gets reject with UNAVAILABLE', async () => {
    await withPool({}, async (_fx, pool) => {
      const conn = await pool.get('mem://b');
      await pool.close();
      assert.equal(conn.closed, true);
      await assert.rejects(pool.get('mem://b'), isReason('UNAVAILABLE'));
    });
  });
});
