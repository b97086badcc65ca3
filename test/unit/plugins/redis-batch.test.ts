import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import { batchWrites } from '../../../src/plugins/redis/batch.ts';

/** A connection as batchWrites sees it: its status, its socket's cork count and the commands awaiting replies. */
function connection(inFlight: number) {
  const stream = {
    writableCorked: 0,
    corks: 0,
    cork() {
      this.writableCorked++;
      this.corks++;
    },
    uncork() {
      this.writableCorked--;
    },
  };
  const redis = { status: 'ready', stream, commandQueue: { length: inFlight } };
  return { redis: redis as unknown as Redis, stream, queue: redis.commandQueue };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

test('redis batch — a command with none in flight goes out at once; with some in flight the tick\'s commands leave in one write', async () => {
  const idle = connection(0);
  batchWrites(idle.redis);
  assert.equal(idle.stream.corks, 0, 'a lone command is not held back');

  const busy = connection(3);
  batchWrites(busy.redis);
  batchWrites(busy.redis);
  batchWrites(busy.redis);
  assert.equal(busy.stream.writableCorked, 1, 'corked once for the whole tick');
  await tick();
  assert.equal(busy.stream.writableCorked, 0, 'uncorked when the tick ends');
  batchWrites(busy.redis);
  assert.equal(busy.stream.corks, 2, 'the next tick corks again');
  await tick();
  assert.equal(busy.stream.writableCorked, 0);

  const offline = connection(3);
  (offline.redis as unknown as { status: string }).status = 'connecting';
  batchWrites(offline.redis);
  assert.equal(offline.stream.corks, 0, 'a connection not ready queues commands itself');
});
