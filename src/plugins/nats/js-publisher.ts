/**
 * JetStream publishes with their acknowledgements read off one reply subscription. Each publish still waits for the
 * stream's ack (or its error, or the timeout), as `js.publish` does; what is shared is the bookkeeping: nats.js makes
 * a request object, two stack-trace errors and a timer per request, which was a fifth of a publishing process's time.
 * Here a publish is an entry in a map keyed by a counter, and one timer expires the oldest entries (every publish
 * has the same timeout, so the map's insertion order is the order of the deadlines).
 */
import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { type Clock, processClock } from '../../actors/clock.ts';

type NatsModule = typeof import('nats');

interface Pending {
  readonly resolve: (sequence: number) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
}

/** Why a publish failed, with the code nats.js gives the same failure (`TIMEOUT`, `503`, the JetStream API code). */
class JetStreamPublishError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'JetStreamPublishError';
    this.code = code;
  }
}

export class JetStreamPublisher {
  readonly #nc: NatsConnection;
  readonly #mod: NatsModule;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #pending = new Map<string, Pending>();
  #prefix = '';
  #sub: Subscription | undefined;
  #next = 0;
  #timer: unknown;
  #closed = false;

  constructor(nc: NatsConnection, mod: NatsModule, timeoutMs: number, clock: Clock = processClock) {
    this.#nc = nc;
    this.#mod = mod;
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  get connection(): NatsConnection {
    return this.#nc;
  }

  /** Publishes to `subject`; resolves the stream sequence once the stream acknowledged it. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.#closed) return reject(new JetStreamPublishError('the publisher is closed', 'CONNECTION_CLOSED'));
      try {
        const token = (this.#next++).toString(36);
        const reply = `${this.#inbox()}${token}`;
        this.#nc.publish(subject, data, { reply, headers });
        this.#pending.set(token, { resolve, reject, deadline: this.#clock.now() + this.#timeoutMs });
        this.#timer ??= this.#clock.setTimeout(this.#expire, this.#timeoutMs);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Takes no more publishes. Those in flight still settle (each within its timeout, or when the connection closes);
   * the reply subscription ends after the last one, so closing never waits for a stream that does not answer.
   */
  close(): void {
    this.#closed = true;
    if (this.#pending.size === 0) this.#stop();
  }

  #stop(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }

  /** The reply prefix, subscribing on first use and again after the subscription ended with its connection. */
  #inbox(): string {
    if (this.#sub === undefined) {
      this.#prefix = `${this.#mod.createInbox()}.`;
      const sub = this.#nc.subscribe(`${this.#prefix}*`, { callback: (err, msg) => this.#settle(err, msg) });
      this.#sub = sub;
      void sub.closed.then(() => {
        if (this.#sub === sub) this.#sub = undefined;
        this.#failAll(new JetStreamPublishError('the connection closed before the stream acknowledged', 'CONNECTION_CLOSED'));
      });
    }
    return this.#prefix;
  }

  #settle(err: Error | null, msg: Msg | undefined): void {
    if (msg === undefined) return void (err !== null && this.#failAll(err));
    const token = msg.subject.slice(this.#prefix.length);
    const p = this.#pending.get(token);
    if (p === undefined) return;
    this.#pending.delete(token);
    if (err !== null) p.reject(err);
    else {
      const ack = parseAck(msg);
      if (typeof ack === 'number') p.resolve(ack);
      else p.reject(ack);
    }
    if (this.#pending.size === 0) this.#settled();
  }

  readonly #expire = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    for (const [token, p] of this.#pending) {
      if (p.deadline > now) {
        this.#timer = this.#clock.setTimeout(this.#expire, Math.max(1, Math.ceil(p.deadline - now)));
        return;
      }
      this.#pending.delete(token);
      p.reject(new JetStreamPublishError('timeout: no acknowledgement from the stream', 'TIMEOUT'));
    }
    this.#settled();
  };

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#settled();
  }

  #settled(): void {
    if (this.#closed && this.#pending.size === 0) this.#stop();
  }
}

/** The stream sequence of a publish's reply, or why there is none. */
function parseAck(msg: Msg): number | Error {
  if (msg.data.length === 0) {
    const code = msg.headers?.code ?? 0;
    if (code === 503) return new JetStreamPublishError('no responders: no stream captures the subject', '503');
    return new JetStreamPublishError(`unexpected reply to a publish: ${code} ${msg.headers?.description ?? ''}`.trim(), String(code));
  }
  let ack: { stream?: unknown; seq?: unknown; error?: { code?: unknown; err_code?: unknown; description?: unknown } };
  try {
    ack = JSON.parse(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.length).toString('utf8'));
  } catch {
    return new JetStreamPublishError('the stream replied with something other than JSON', 'JETSTREAM_INVALID_ACK');
  }
  if (ack?.error !== undefined) return new JetStreamPublishError(String(ack.error.description ?? 'JetStream error'), String(ack.error.code ?? 'UNKNOWN'));
  if (typeof ack?.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number') return new JetStreamPublishError('invalid JetStream publish acknowledgement', 'JETSTREAM_INVALID_ACK');
  return ack.seq;
}
