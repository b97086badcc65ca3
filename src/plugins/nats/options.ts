/**
 * The NATS plugin's settings, in a module of their own that imports no client types: the package's public
 * declarations reach these, and never the client library's own, so a consumer type-checks without its typings.
 */

export interface NatsConnectionOptions {
  /** How long opening the connection may take. @default 5000 */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts. @default 250 */
  reconnectTimeWaitMs?: number;
  /** How long closing may wait for the connection to drain (a server that is down never lets it). @default 2000 */
  drainTimeoutMs?: number;
}

export interface NatsStoreOptions {
  /** The first part of every bucket name. A URL's `?prefix=` sets it too. @default 'micro-store' */
  prefix?: string;
  /** The longest key, in UTF-8 bytes. @default 1024 */
  maxKeyBytes?: number;
}

export interface NatsSyncOptions {
  /** The bucket holding the locks. A URL's `?prefix=` sets it too. @default 'micro-sync' */
  prefix?: string;
}

export interface NatsConfigOptions extends NatsConnectionOptions {
  /** The KV bucket; made when missing. A URL's first path segment overrides it. @default 'micro_config' */
  bucket?: string;
  /** The key prefix (NATS tokens, dot-separated); '' takes the whole bucket. The URL's rest of the path overrides it. @default '' */
  prefix?: string;
}

export interface NatsBrokerOptions {
  /**
   * How messages are written (all three are read): `binary`, a CloudEvent as `ce-*` headers and the body as it is;
   * `structured`, the CloudEvent as one JSON payload (`content-type: application/cloudevents+json`); `off`, the body
   * alone, for programs that read no headers and NATS servers older than 2.2 (metadata, and a content type other than
   * JSON, still go as headers). A URL's `?cloudevents=` sets it too. @default 'binary'
   */
  cloudEvents?: 'binary' | 'structured' | 'off';
  /** The `ce-source` of messages that arrive without CloudEvents headers. @default 'nats' */
  foreignSource?: string;
  /** How long a publish waits for a lost connection to come back before it fails with UNAVAILABLE. @default 5000 */
  publishWaitMs?: number;
}
