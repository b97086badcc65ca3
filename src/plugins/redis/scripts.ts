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
export async function runScript(redis: Redis, script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<unknown> {
  try {
    return await redis.callBuffer('EVALSHA', [script.sha, keys.length, ...keys, ...args]);
  } catch (err) {
    if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    return redis.callBuffer('EVAL', [script.lua, keys.length, ...keys, ...args]);
  }
}
