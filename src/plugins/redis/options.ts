/**
 * The Redis plugin's settings, in a module of their own that imports no client types: the package's public
 * declarations reach these, and never the client library's own, so a consumer type-checks without its typings.
 */

export interface RedisConnectionOptions {
  /** How long opening the connection may take. @default 5000 */
  connectTimeoutMs?: number;
}

export interface RedisStoreOptions {
  /** The first part of every key. A URL's `?prefix=` sets it too. @default 'micro:store' */
  prefix?: string;
  /** The longest key, in UTF-8 bytes. @default 1024 */
  maxKeyBytes?: number;
}

export interface RedisSyncOptions {
  /** The first part of every key. A URL's `?prefix=` sets it too. @default 'micro:sync' */
  prefix?: string;
}

export interface RedisBrokerOptions {
  /** Put before every topic to make its channel name. @default '' */
  channelPrefix?: string;
  /** Key prefix of queue-group claims. @default 'micro:claim' */
  claimPrefix?: string;
  /** How long a claim is kept. @default 60000 */
  claimTtlMs?: number;
}
