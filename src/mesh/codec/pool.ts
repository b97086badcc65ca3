/**
 * The worker-thread pool behind `Codecs.decodeAsync`: a piscina pool running worker.ts. Only the
 * body's own bytes cross to the worker (moved, never the caller's buffer); the value comes back
 * in the transfer format (transfer.ts).
 */
import { Piscina } from 'piscina';
import type { Logger } from '../../actors/logger.ts';
import { asBuffer } from './codec.ts';
import { createTransferPackr, ownedBytes } from './transfer.ts';
import type { CodecTask, CodecTaskFailure, CodecTaskResult, CodecWorkerData } from './worker.ts';

export interface CodecPoolOptions {
  /** Most worker threads; one stays up once started, until `close()`. */
  maxThreads: number;
  /** How long a thread beyond the first may idle before it exits. */
  idleTimeoutMs: number;
  workerData: CodecWorkerData;
  logger: Logger;
}

/** A worker's answer, unpacked: the value and the thread that produced it, or why not. */
export type CodecPoolOutcome = { failed: false; value: unknown; threadId: number } | CodecTaskFailure;

// worker.js beside the compiled pool.js in dist/, worker.ts when run from source.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

const TS_LOADER = /tsx|strip-types|transform-types|ts-node/;
/** Flags about the main script's source; inherited, they break loading the worker file. */
const SCRIPT_FLAGS = new Set(['-e', '--eval', '-p', '--print', '--input-type']);

/**
 * The worker's `execArgv`. Inherited (undefined) when that works: `--import tsx`, `npx tsx` and
 * Node's own type stripping all reach the worker that way. Spelled out in two cases: the main
 * script came from `-e`/`--input-type` (the worker file is not that script), or tsx was
 * registered at run time with `register()`, whose hooks workers do not inherit, so the worker
 * needs tsx's loader passed explicitly.
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] | undefined {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i];
    if (!SCRIPT_FLAGS.has(arg.split('=', 1)[0])) kept.push(arg);
    else if (!arg.includes('=')) i++;
  }
  const needsLoader = WORKER_URL.pathname.endsWith('.ts') && !kept.some((arg) => TS_LOADER.test(arg));
  if (!needsLoader) return kept.length === execArgv.length ? undefined : kept;
  try {
    kept.push('--import', import.meta.resolve('tsx'));
  } catch {
    // No tsx to hand over: the worker fails to load and Codecs decodes on the main thread.
  }
  return kept;
}

export class CodecPool {
  readonly #pool: Piscina<CodecTask, CodecTaskResult>;
  readonly #transfer = createTransferPackr();
  #closing = false;

  constructor(options: CodecPoolOptions) {
    this.#pool = new Piscina<CodecTask, CodecTaskResult>({
      filename: WORKER_URL.href,
      minThreads: 1,
      maxThreads: options.maxThreads,
      idleTimeout: options.idleTimeoutMs,
      workerData: options.workerData,
      execArgv: workerExecArgv(),
      recordTiming: false,
    });
    // An 'error' event with no listener would throw and take the process down. After destroy(),
    // piscina reports each late answer from a worker as one: expected then, so debug only.
    this.#pool.on('error', (err: unknown) => {
      if (this.#closing) options.logger.debug({ err }, 'codec worker answered after close');
      else options.logger.error({ err }, 'codec worker pool error');
    });
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  /**
   * Decode in a worker. Resolves with the value or a failure (`codec`: bad body; `pool`: the
   * worker could not do it). Rejects only when piscina does (worker crashed, pool destroyed).
   */
  async decode(contentType: string, bytes: Uint8Array, typeName: string | undefined): Promise<CodecPoolOutcome> {
    const payload = ownedBytes(bytes);
    // Moving a buffer that is not a copy would detach the caller's: clone those instead.
    const transferList = payload === bytes || payload.buffer instanceof SharedArrayBuffer ? undefined : [payload.buffer as ArrayBuffer];
    const result = await this.#pool.run({ op: 'decode', contentType, typeName, payload }, transferList && { transferList });
    if (!(result instanceof Uint8Array)) return result;
    const [threadId, value] = this.#transfer.unpack(asBuffer(result)) as [number, unknown];
    return { failed: false, value, threadId };
  }

  /**
   * Encode in a worker. The value crosses by structured clone, which walks the graph on this
   * thread: the bench keeps this path to show that it saves the main thread nothing.
   */
  async encode(contentType: string, value: unknown, typeName: string | undefined): Promise<Uint8Array | CodecTaskFailure> {
    return this.#pool.run({ op: 'encode', contentType, typeName, payload: value });
  }

  /** Stop every thread; pending tasks reject. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#pool.destroy();
  }
}
