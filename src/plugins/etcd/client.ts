/**
 * A small etcd v3 client over etcd's JSON gateway (`/v3/kv/*`, `/v3/watch`) and `fetch`: what the config source
 * needs (range by prefix, put, delete, watch), with no dependency. Keys and values are base64 on the wire.
 */
import { MicroError } from '../../mesh/errors.ts';

export interface EtcdClientOptions {
  /** Deadline of each unary request. @default 5000 */
  timeoutMs?: number;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

/** The first key after every key that starts with `prefix`: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if ((bytes[i] as number) < 0xff) {
      bytes[i] = (bytes[i] as number) + 1;
      return bytes.subarray(0, i + 1).toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64'); // every key
}

interface RangeResponse {
  kvs?: Array<{ key?: string; value?: string }>;
}

export class EtcdClient {
  readonly #base: string;
  readonly #timeoutMs: number;

  /** `endpoint`: `http://127.0.0.1:2379`. */
  constructor(endpoint: string, options: EtcdClientOptions = {}) {
    this.#base = endpoint.replace(/\/$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  async #post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}${path}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new MicroError('UNAVAILABLE', `etcd ${this.#base}: ${cause}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new MicroError('UNAVAILABLE', `etcd ${this.#base}${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  /** Every key starting with `prefix`, with its value. */
  async range(prefix: string): Promise<Array<[string, string]>> {
    const r = await this.#post<RangeResponse>('/v3/kv/range', { key: b64(prefix), range_end: prefixEnd(prefix) });
    return (r.kvs ?? []).map((kv) => [unb64(kv.key), unb64(kv.value)]);
  }

  async put(key: string, value: string): Promise<void> {
    await this.#post('/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  /** Deletes every key starting with `prefix`. */
  async deletePrefix(prefix: string): Promise<void> {
    await this.#post('/v3/kv/deleterange', { key: b64(prefix), range_end: prefixEnd(prefix) });
  }

  /**
   * Watches every key starting with `prefix`: `changed` on each batch of events, `ended` once when the stream ends or
   * breaks (not after `stop`). Resolves when etcd confirmed the watch.
   */
  async watch(prefix: string, handlers: { changed(): void; ended(err: Error): void }): Promise<{ stop(): void }> {
    const abort = new AbortController();
    let res: Response;
    try {
      res = await fetch(`${this.#base}/v3/watch`, {
        method: 'POST',
        body: JSON.stringify({ create_request: { key: b64(prefix), range_end: prefixEnd(prefix) } }),
        signal: abort.signal,
      });
    } catch (err) {
      throw new MicroError('UNAVAILABLE', `etcd ${this.#base}: watch failed: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`, { cause: err });
    }
    if (!res.ok || res.body === null) throw new MicroError('UNAVAILABLE', `etcd ${this.#base}/v3/watch: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let stopped = false;
    let pending = '';
    const created = new Promise<void>((resolve, reject) => {
      void (async () => {
        let confirmed = false;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pending += value;
          if (pending.length > 16 * 1024 * 1024) throw new Error('watch message too large');
          let nl = pending.indexOf('\n');
          while (nl !== -1) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            nl = pending.indexOf('\n');
            if (line === '') continue;
            const msg = JSON.parse(line) as { result?: { created?: boolean; canceled?: boolean; events?: unknown[] }; error?: unknown };
            if (msg.error !== undefined || msg.result?.canceled === true) throw new Error(`watch refused: ${line.slice(0, 200)}`);
            if (msg.result?.created === true && !confirmed) {
              confirmed = true;
              resolve();
            }
            if ((msg.result?.events?.length ?? 0) > 0) handlers.changed();
          }
        }
        throw new Error('the watch stream ended');
      })().catch((err: unknown) => {
        const e = new MicroError('UNAVAILABLE', `etcd ${this.#base}: ${(err as Error).message}`, { cause: err });
        reject(e);
        if (!stopped) handlers.ended(e);
      });
    });
    await created.catch((err: unknown) => {
      abort.abort();
      throw err;
    });
    return {
      stop: () => {
        stopped = true;
        abort.abort();
      },
    };
  }
}
