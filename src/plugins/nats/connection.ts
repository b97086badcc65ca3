/**
 * One NATS connection per URL for the whole node, shared by every concern NATS backs (registry, transport, broker,
 * events, store, sync, config). `nats` is imported when the first connection opens. The client reconnects by itself
 * and re-subscribes core subscriptions; concerns that keep server-side state (JetStream consumers) watch `status`.
 */
import type { NatsConnection } from 'nats';
import { MicroError } from '../../mesh/errors.ts';
import { importOptional } from '../../mesh/plugins/import-optional.ts';
import type { PluginContext } from '../../mesh/plugins/plugin.ts';
import type { SharedLease } from '../../mesh/plugins/resources.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import type { NatsConnectionOptions } from './options.ts';

/**
 * nats.js writes what a turn published at the end of the turn, or at once when its outbound buffer reaches
 * `pendingLimit` (32 KiB by default; the option exists but is not in its types). Writes of a whole burst rather
 * than 32 KiB pieces cost nats-server about half its CPU per small message (measured with the pubsub bench's
 * CloudEvents-sized messages, ~1.3 µs less a message), so the limit is raised; memory is bounded all the same.
 */
const WRITE_CHUNK: object = { pendingLimit: 256 * 1024 };

export type { NatsConnectionOptions };


/** How long closing a connection lets it drain. */
const DRAIN_MS = 2000;

/** Connections this module closed itself, so that their end is not taken for a failure. */
const closedByUs = new WeakSet<NatsConnection>();

/** `nats://user:pass@host:port?…` → the server list nats.js wants, without the query or credentials. */
function serverOf(url: URL): string {
  return `${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:${url.port || '4222'}`;
}

/**
 * The node's connection to `url` (`nats://[user:password@]host:port`), opened on first use and shared by key.
 * @example
 * const lease = await shareNats(target.url, ctx, {});
 * lease.value.publish('subject', payload);
 */
export function shareNats(url: URL, ctx: PluginContext, options: NatsConnectionOptions = {}): Promise<SharedLease<NatsConnection>> {
  const server = serverOf(url);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const key = `nats ${url.protocol}//${user === '' ? '' : `${user}@`}${server}`;
  return ctx.shared(
    key,
    async (owner) => {
      const mod = await importOptional<typeof import('nats')>('nats', { plugin: 'nats', concern: ctx.concern });
      const nc = await mod
        .connect({
          servers: server,
          name: `micromesh ${ctx.nodeId}`,
          timeout: options.connectTimeoutMs ?? 5000,
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
          ...WRITE_CHUNK,
          ...(user === '' ? {} : { user, pass }),
        })
        .catch((err: unknown) => {
          throw natsError(`nats: cannot connect to ${redactUrl(url.href)}`, err);
        });
      void (async () => {
        let lastLog = 0;
        for await (const s of nc.status()) {
          if (s.type !== 'disconnect' && s.type !== 'reconnect' && s.type !== 'error') continue;
          if (s.type !== 'reconnect' && Date.now() - lastLog < 10_000) continue;
          lastLog = Date.now();
          ctx.logger.warn({ url: redactUrl(url.href), status: s.type, data: String(s.data) }, `nats: ${s.type}`);
        }
      })().catch(() => {});
      // Closed by anyone but us (the server refused us for good): the owning actor opens a new connection.
      void nc.closed().then((err) => {
        if (!closedByUs.has(nc)) owner.fail(err ?? new MicroError('UNAVAILABLE', `nats: connection to ${redactUrl(url.href)} closed`));
      });
      return nc;
    },
    async (nc) => {
      closedByUs.add(nc);
      if (nc.isClosed()) return;
      // A drain needs the server (it flushes): while disconnected it would wait for ever, so it gets a deadline.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.drainTimeoutMs ?? DRAIN_MS);
      });
      await Promise.race([nc.drain().catch(() => {}), deadline]);
      clearTimeout(timer);
      if (!nc.isClosed()) await nc.close().catch(() => {});
    },
  );
}

/** A client error as a MicroError: timeouts, no responders and a lost connection are UNAVAILABLE (retryable). */
export function natsError(what: string, err: unknown): MicroError {
  if (err instanceof MicroError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  const permission = code === 'PERMISSIONS_VIOLATION' || /permission/i.test(message);
  return new MicroError(permission ? 'FORBIDDEN' : 'UNAVAILABLE', `${what}: ${message}`, { cause: err });
}
