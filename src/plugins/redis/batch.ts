/**
 * Commands sent in one tick leave in one socket write. ioredis writes each command to the socket as it is sent, a
 * system call each; under concurrency that costs more than the commands. The first command of a tick goes out at
 * once (a lone caller waits for nothing); a second one in the same tick corks the socket, and the tick's end uncorks
 * it, so the rest of the tick's commands leave together, in order.
 */
import type { Redis } from 'ioredis';

/** Connections that sent a command in the current tick. */
const busy = new WeakSet<Redis>();

/** Call right before sending a command on `redis`. */
export function batchWrites(redis: Redis): void {
  const stream = redis.stream as (typeof redis.stream & { writableCorked?: number }) | undefined;
  // Not connected: ioredis queues the command itself and flushes the queue on connect.
  if (redis.status !== 'ready' || stream === undefined) return;
  if (!busy.has(redis)) {
    busy.add(redis);
    process.nextTick(() => busy.delete(redis));
    return;
  }
  if (stream.writableCorked !== 0) return;
  stream.cork();
  process.nextTick(() => stream.uncork());
}
