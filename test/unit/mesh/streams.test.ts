import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import { defineService } from '../../../src/mesh/service.ts';
import type { StreamChannel } from '../../../src/mesh/stream-channel.ts';
import { consumeSlowly, firehose } from '../../support/firehose.ts';
import { memoryMesh } from '../../support/mesh.ts';
import { deferred } from '../../support/wait.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

test('stream — the client sends many, the server sends many, either side ends', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  await server.serve(
    defineService({
      name: 'chat',
      endpoints: {
        'Chat.Echo': {
          stream: async (s) => {
            for await (const m of s) {
              await s.send(`${m as string}!`);
              await s.send(`${m as string}?`);
            }
            await s.send('bye');
          },
        },
      },
    }),
  );
  const client = await mesh.node('client');
  const s = await client.client.stream<string, string>('chat', 'Chat.Echo');
  for (const m of ['a', 'b', 'c']) await s.send(m);
  s.closeSend();
  assert.deepEqual(await s.collect(), ['a!', 'a?', 'b!', 'b?', 'c!', 'c?', 'bye']);
});

test('stream — a handler error reaches the client as a MicroError', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  await server.serve(defineService({ name: 'bad', endpoints: { 'Bad.Stream': { stream: async (s) => { await s.send(1); throw new MicroError('FORBIDDEN', 'not you'); } } } }));
  const client = await mesh.node('client');
  const s = await client.client.stream<unknown, number>('bad', 'Bad.Stream');
  const got: number[] = [];
  const err = await (async () => {
    for await (const v of s) got.push(v);
  })().catch((e: unknown) => e);
  assert.deepEqual(got, [1]);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 403);
});

test('stream — cancel from the client aborts the server handler', async () => {
  mesh = memoryMesh();
  const aborted = deferred<unknown>();
  const server = await mesh.node('server');
  await server.serve(
    defineService({
      name: 'ticker',
      endpoints: {
        'Tick.Forever': {
          stream: async (s, ctx) => {
            ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
            for (let i = 0; !ctx.signal.aborted; i++) await s.send(i).catch(() => {});
          },
        },
      },
    }),
  );
  const client = await mesh.node('client');
  const s = await client.client.stream<unknown, number>('ticker', 'Tick.Forever');
  let n = 0;
  for await (const _ of s) if (++n === 10) break;
  s.cancel();
  const reason = (await aborted.promise) as MicroError;
  assert.equal(reason.reason, 'CANCELLED');
});

test('stream — a slow consumer keeps the producer’s memory bounded by the credit window', async () => {
  mesh = memoryMesh();
  const hose = firehose();
  const server = await mesh.node('server');
  await server.serve(hose.service);
  const client = await mesh.node('client');
  const s = await client.client.stream<unknown, { i: number }>('firehose', 'Fire.Hose');
  const channel = (s as unknown as { channel: StreamChannel<unknown, unknown> }).channel;
  await consumeSlowly(s, hose.produced, 400, 1);
  assert.ok(channel.peakBuffered <= 32, `client buffered ${channel.peakBuffered}`);
});
