/**
 * Commands sent while others await their replies leave in one socket write. ioredis writes each command to the socket
 * as it is sent, a system call each; under concurrency that costs more than the commands. A command sent with none in
 * flight goes out at once and schedules nothing (a lone caller neither waits nor pays for a tick callback); one sent
 * while others are in flight corks the socket, and the tick's end uncorks it, so the rest of the tick's commands leave
 * together, in order.
 */
import type { Redis } from 'ioredis';

type Corkable = NonNullable<Redis['stream']> & { writableCorked?: number };

/** Call right before sending a command on `redis`. */
export function batchWrites(redis: Redis): void {
  const stream = redis.stream as Corkable | undefined;
  // Not connected: ioredis queues the command itself and flushes the queue on connect.
  if (redis.status !== 'ready' || stream === undefined) return;
  if (redis.commandQueue.length === 0 || stream.writableCorked !== 0) return;
  stream.cork();
  process.nextTick(uncork, stream);
}

function uncork(stream: Corkable): void {
  stream.uncork();
}
