/**
 * The NATS KV config source: `nats://host:4222/<bucket>/<prefix>`. Keys under the prefix are paths
 * (`app.database.port` = `5432` with prefix `app`), the prefix key itself may hold a YAML or JSON document. A KV
 * watch hot-reloads it. The connection opens on first read, so an unreachable server does not fail the node: the
 * source starts empty and its watcher retries (see the config concern's fallbacks).
 */
import type { KV, NatsConnection, QueuedIterator, KvEntry } from 'nats';
import type { ConfigSource, ConfigTree, SourceEvents } from '../../mesh/config/config.ts';
import { kvTree, type KvLayout } from '../../mesh/config/kv-tree.ts';
import { MicroError } from '../../mesh/errors.ts';
import type { PluginContext, PluginFactory } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import { natsError, shareNats } from './connection.ts';
import type { NatsConfigOptions } from './options.ts';

export type { NatsConfigOptions };


const BUCKET = /^[A-Za-z0-9_-]+$/;
const PREFIX = /^[A-Za-z0-9_\-/=]+(\.[A-Za-z0-9_\-/=]+)*$/;

/** Bucket and prefix from `nats://host:port/<bucket>/<prefix>` over the options. */
export function natsConfigTarget(url: URL, options: NatsConfigOptions): { bucket: string; prefix: string } {
  const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const bucket = parts[0] ?? options.bucket ?? 'micro_config';
  const prefix = parts.length > 1 ? parts.slice(1).join('.') : (options.prefix ?? '');
  if (!BUCKET.test(bucket)) throw new MicroError('BAD_REQUEST', `nats config URL ${JSON.stringify(redactUrl(url.href))}: bucket "${bucket}" may hold only letters, digits, - and _`);
  if (prefix !== '' && !PREFIX.test(prefix)) throw new MicroError('BAD_REQUEST', `nats config URL ${JSON.stringify(redactUrl(url.href))}: bad key prefix "${prefix}"`);
  for (const key of url.searchParams.keys()) throw new MicroError('BAD_REQUEST', `nats config URL: unknown setting "${key}" (use nats://host:4222/<bucket>/<prefix>)`);
  return { bucket, prefix };
}

class NatsKvSource implements ConfigSource {
  readonly name: string;
  readonly #layout: KvLayout;
  #lease: Promise<SharedLease<NatsConnection>> | undefined;
  #kv: Promise<KV> | undefined;
  #closed = false;

  constructor(
    readonly url: URL,
    readonly ctx: PluginContext,
    readonly options: NatsConfigOptions,
    readonly bucket: string,
    readonly prefix: string,
  ) {
    this.name = `nats kv ${bucket}${prefix === '' ? '' : `/${prefix}`}`;
    this.#layout = { prefix, separator: '.', where: `nats kv ${bucket}` };
  }

  /** The bucket, connecting first; a failed attempt is forgotten so the next one connects again. */
  #bucket(): Promise<KV> {
    if (this.#closed) return Promise.reject(new MicroError('UNAVAILABLE', `${this.name}: closed`));
    this.#kv ??= (async () => {
      this.#lease ??= shareNats(this.url, this.ctx, this.options);
      const nc = (await this.#lease).value;
      return nc.jetstream().views.kv(this.bucket);
    })().catch((err: unknown) => {
      this.#kv = undefined;
      this.#lease = undefined;
      throw natsError(`${this.name}: cannot open the bucket`, err);
    });
    return this.#kv;
  }

  async read(): Promise<ConfigTree> {
    const kv = await this.#bucket();
    const entries: Array<[string, string]> = [];
    try {
      const keys: string[] = [];
      for await (const key of await kv.keys(this.prefix === '' ? '>' : `${this.prefix}.>`)) keys.push(key);
      if (this.prefix !== '') keys.push(this.prefix);
      for (const key of keys) {
        const e = await kv.get(key);
        if (e !== null && e.operation === 'PUT') entries.push([key, e.string()]);
      }
    } catch (err) {
      throw natsError(`${this.name}: read failed`, err);
    }
    return kvTree(entries, this.#layout);
  }

  async watch(events: SourceEvents): Promise<{ stop(): void }> {
    const kv = await this.#bucket();
    const filters = this.prefix === '' ? ['>'] : [this.prefix, `${this.prefix}.>`];
    const iterators: Array<QueuedIterator<KvEntry>> = [];
    let stopped = false;
    try {
      for (const key of filters) iterators.push(await kv.watch({ key, include: 'updates' as never }));
    } catch (err) {
      for (const it of iterators) it.stop();
      throw natsError(`${this.name}: watch failed`, err);
    }
    for (const it of iterators) {
      void (async () => {
        for await (const _ of it) events.changed();
        if (!stopped) events.failed(new MicroError('UNAVAILABLE', `${this.name}: the watch ended`));
      })().catch((err: unknown) => {
        if (!stopped) events.failed(err);
      });
    }
    return {
      stop: () => {
        stopped = true;
        for (const it of iterators) it.stop();
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const lease = this.#lease;
    this.#lease = undefined;
    this.#kv = undefined;
    if (lease !== undefined) await lease.then((l) => l.release(), () => {});
  }
}

/** A NATS KV config source for the plugin factory. */
export function createNatsConfigSource(url: URL, ctx: PluginContext, options: NatsConfigOptions = {}): ConfigSource {
  const { bucket, prefix } = natsConfigTarget(url, options);
  return new NatsKvSource(url, ctx, options, bucket, prefix);
}

/** The nats plugin's config factory: `nats://…` sources, and `nats` at `defaultUrl`. */
export function natsConfigFactory(defaultUrl: string): PluginFactory {
  return {
    concern: 'config',
    name: 'nats',
    schemes: ['nats'],
    description: 'keys of a NATS KV bucket, hot-reloaded; nats://host:4222/<bucket>/<key.prefix>',
    create: (target, ctx) => createNatsConfigSource(target.url ?? new URL(defaultUrl), ctx, ctx.options.nats),
  };
}
