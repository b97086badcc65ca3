import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import type { ApiGateway } from '../../../../src/mesh/api/gateway.ts';
import { waitUntil } from '../../../support/wait.ts';
import { produced, sink, withGateway } from './support.ts';

function open(api: ApiGateway, path: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${api.address}${path}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Everything the server sends until it closes, and the close code. */
function drain(ws: WebSocket): Promise<{ messages: unknown[]; code: number }> {
  const messages: unknown[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  return new Promise((resolve) => ws.once('close', (code) => resolve({ messages, code })));
}

test('api ws — a streaming endpoint over WebSocket: JSON messages both ways, an empty message ends the requests, 1000 at the end', async () => {
  await withGateway(async (api) => {
    const ws = await open(api, '/greeter/Say.Echo');
    const done = drain(ws);
    ws.send(JSON.stringify({ n: 1 }));
    ws.send(JSON.stringify('two'));
    ws.send('');
    const { messages, code } = await done;
    assert.deepEqual(messages, [{ n: 1 }, 'two']);
    assert.equal(code, 1000);
  });
});

test('api ws — a slow reader holds the service back: it produces at most a window ahead, then everything arrives in order', async () => {
  await withGateway(
    async (api) => {
      const ws = await open(api, '/greeter/Say.Count');
      const total = 30_000;
      ws.send(JSON.stringify({ n: total }));
      ws.pause();
      // The service stalls once the stream window, the gateway's high water and the socket buffers are full.
      let last = -1;
      let still = 0;
      await waitUntil(
        () => {
          still = produced.count === last ? still + 1 : 0;
          last = produced.count;
          return still > 2000;
        },
        10_000,
        'the producer to stall',
      );
      assert.ok(produced.count < total / 2, `the service ran ${produced.count} of ${total} ahead of a reader that read nothing`);
      const done = drain(ws);
      ws.resume();
      const { messages, code } = await done;
      assert.equal(code, 1000);
      assert.equal(messages.length, total);
      assert.deepEqual(
        messages.slice(0, 3).map((m) => (m as { i: number }).i),
        [0, 1, 2],
      );
      assert.equal((messages.at(-1) as { i: number }).i, total - 1);
    },
    { wsHighWaterBytes: 64 * 1024 },
  );
});

test('api ws — a failing stream sends the error, then closes with 4000 + its code', async () => {
  await withGateway(async (api) => {
    const ws = await open(api, '/greeter/Say.Count');
    const done = drain(ws);
    ws.send(JSON.stringify({ n: 2, fail: true }));
    const { messages, code } = await done;
    assert.equal(messages.length, 3);
    assert.deepEqual((messages[2] as { error: { code: number; reason: string } }).error.reason, 'CONFLICT');
    assert.equal(code, 4409);
  });
});

test('api ws — a message that is not JSON closes with 1007; unknown services and unary endpoints refuse the upgrade with their status', async () => {
  await withGateway(async (api) => {
    const ws = await open(api, '/greeter/Say.Echo');
    const done = drain(ws).catch(() => ({ messages: [], code: 0 }));
    ws.send('{nope');
    assert.equal((await done).code, 1007);
    for (const [path, status] of [
      ['/nobody/Say.Echo', 404],
      ['/greeter/Say.Hello', 400],
      ['/greeter', 404],
    ] as const) {
      const refused = await new Promise<number>((resolve) => {
        const w = new WebSocket(`ws://${api.address}${path}`);
        w.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        w.once('open', () => resolve(101));
        w.once('error', () => {});
      });
      assert.equal(refused, status, path);
    }
  });
});

test('api ws — a client sending faster than the service takes is held back: the gateway stops reading its socket', async () => {
  await withGateway(async (api) => {
    const ws = await open(api, '/greeter/Say.Sink');
    const done = drain(ws);
    const total = 20_000;
    const message = JSON.stringify({ pad: 'y'.repeat(1000) });
    for (let i = 0; i < total; i += 1) ws.send(message);
    ws.send('');
    // The service takes one message, then waits: the window, the gateway and the socket buffers fill, then the rest
    // stays queued in the client.
    let last = -1;
    let still = 0;
    await waitUntil(
      () => {
        still = ws.bufferedAmount === last ? still + 1 : 0;
        last = ws.bufferedAmount;
        return still > 2000;
      },
      10_000,
      'the client to stop draining',
    );
    assert.ok(sink.taken <= 1, `the service took ${sink.taken}`);
    assert.ok(ws.bufferedAmount > (total * message.length) / 2, `only ${ws.bufferedAmount} bytes wait in the client: the gateway read on`);
    sink.gate.resolve();
    const { messages, code } = await done;
    assert.equal(code, 1000);
    assert.deepEqual(messages, [{ taken: total }]);
  });
});
