/**
 * Lua scripts run by their SHA1 (`EVALSHA`), so a call sends a 40-byte digest instead of the script's text; a server
 * that does not have the script yet (new, restarted, flushed) answers NOSCRIPT and gets it once with `EVAL`.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

export function redisScript(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs `script` with its keys and arguments; replies with Buffers. */
export function runScript(redis: Redis, script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown> {
  const argv: Array<string | number | Buffer> = [script.sha, keys.length];
  for (const key of keys) argv.push(key);
  for (const arg of args) argv.push(arg);
  return redis.callBuffer('EVALSHA', argv).catch((err: unknown) => {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    return redis.callBuffer('EVAL', [script.lua, ...argv.slice(1)]);
  });
}
