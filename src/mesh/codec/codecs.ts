/**
 * The codec registry a node owns: one codec per content type, plus async coding that moves big
 * bodies to a worker pool so a 1 MB body does not stall every other actor on the event loop.
 */
import type protobuf from 'protobufjs';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { type Codec, ContentType } from './codec.ts';
import { createJsonCodec } from './json.ts';
import { createMsgpackCodec, defaultMsgpackCodecOptions, type MsgpackCodecOptions } from './msgpack.ts';
import { createOctetCodec } from './octet.ts';
import { CodecPool, type CodecPoolOutcome } from './pool.ts';
import { createProtobufCodec, defaultProtobufCodecOptions, type ProtobufConversionOptions } from './protobuf.ts';

export interface CodecsOptions {
  /**
   * Bodies of at least this many bytes are decoded in the worker pool; smaller ones on the main
   * thread. From bench/suites/codec.ts (figures in its header): the pool saves main-thread time
   * only from ~50 KB, and below ~256 KB the saving is smaller than the latency it adds. Use
   * `Infinity` to never offload (throughput over event-loop latency on a busy machine).
   * @default 262_144
   */
  offloadThresholdBytes: number;
  /** Most worker threads; the pool starts on the first offload, never before. @default 1 */
  maxThreads: number;
  /**
   * Offloaded bodies in flight per thread (one decoding, one waiting, so the worker never idles
   * between tasks). Past it, big bodies decode on the main thread rather than queue behind the
   * worker: under load the two share the work instead of the pool capping throughput.
   * @default 2
   */
  offloadsPerThread: number;
  /** How long a thread beyond the first may idle before it exits. @default 30_000 */
  idleTimeoutMs: number;
  /** .proto files for `application/protobuf`, loaded here and in every worker. @default [] */
  protoFiles: string[];
  /**
   * A root with the message types already loaded. Workers cannot receive it, so protobuf
   * bodies are then always coded on the main thread.
   * @default undefined
   */
  protoRoot: protobuf.Root | undefined;
  /** How protobuf messages decode. @default defaultProtobufCodecOptions() */
  protobuf: ProtobufConversionOptions;
  /** msgpack settings. @default defaultMsgpackCodecOptions() */
  msgpack: MsgpackCodecOptions;
  /** @default silentLogger */
  logger: Logger;
}

export function defaultCodecsOptions(): CodecsOptions {
  const { longs, enums, defaults } = defaultProtobufCodecOptions();
  return {
    offloadThresholdBytes: 262_144,
    maxThreads: 1,
    offloadsPerThread: 2,
    idleTimeoutMs: 30_000,
    protoFiles: [],
    protoRoot: undefined,
    protobuf: { longs, enums, defaults },
    msgpack: defaultMsgpackCodecOptions(),
    logger: silentLogger,
  };
}

/** Where coding happened so far; for metrics and tests. */
export interface CodecsStats {
  /** `encodeAsync`/`decodeAsync` calls coded on the main thread. */
  main: number;
  /** Bodies decoded in a worker. */
  offloaded: number;
  /** Bodies over the threshold decoded on the main thread because the pool was full. */
  spilled: number;
  /** Offloads the pool could not run, decoded on the main thread instead. */
  fallbacks: number;
  /** Live worker threads (0 until the first offload). */
  poolThreads: number;
  /** `threadId`s of the workers that answered (the main thread is 0). */
  workerThreadIds: number[];
}

/** Codecs by content type, with pool-backed async coding. */
export interface Codecs {
  /** The codec for a content type (parameters like `; charset=utf-8` ignored); unknown → `BAD_REQUEST`. */
  get(contentType: string): Codec;
  /** Add or replace a codec; a replaced built-in is never offloaded again. */
  register(codec: Codec): void;
  /**
   * Encode with the registered codec, always on the main thread: handing an object to a worker
   * walks the whole graph here anyway (structured clone), which costs what encoding it does.
   */
  encodeAsync(contentType: string, value: unknown, typeName?: string): Promise<Uint8Array>;
  /**
   * Decode; bodies of `offloadThresholdBytes` or more go to the worker pool while it has room
   * (`offloadsPerThread`), the rest decode here.
   */
  decodeAsync(contentType: string, bytes: Uint8Array, typeName?: string): Promise<unknown>;
  stats(): CodecsStats;
  /**
   * Stop the worker threads. Bodies in a worker at that moment are decoded again here, so their
   * callers still get a value; coding keeps working afterwards, on the main thread.
   */
  close(): Promise<void>;
}

class PooledCodecs implements Codecs {
  readonly #options: CodecsOptions;
  readonly #codecs = new Map<string, Codec>();
  /** Content types whose registered codec is the one the worker builds too. */
  readonly #poolable = new Set<string>();
  #pool: CodecPool | undefined;
  #poolProven = false;
  #poolDisabled = false;
  #closed = false;
  #poolStopping: Promise<void> = Promise.resolve();
  #main = 0;
  #offloaded = 0;
  #fallbacks = 0;
  #spilled = 0;
  #inFlight = 0;
  readonly #workerThreadIds = new Set<number>();

  constructor(options: CodecsOptions) {
    this.#options = options;
    const { protoFiles, protoRoot } = options;
    this.#add(createJsonCodec(), true);
    this.#add(createMsgpackCodec(options.msgpack), true);
    this.#add(createProtobufCodec({ protoFiles, root: protoRoot, ...options.protobuf }), protoRoot === undefined && protoFiles.length > 0);
    this.#add(createOctetCodec(), false);
  }

  #add(codec: Codec, poolable: boolean): void {
    this.#codecs.set(codec.contentType, codec);
    if (poolable) this.#poolable.add(codec.contentType);
    else this.#poolable.delete(codec.contentType);
  }

  get(contentType: string): Codec {
    const codec = this.#codecs.get(contentType) ?? this.#codecs.get(bare(contentType));
    if (codec === undefined) throw new MicroError('BAD_REQUEST', `unsupported content type ${contentType}`);
    return codec;
  }

  register(codec: Codec): void {
    this.#add(codec, false);
  }

  async encodeAsync(contentType: string, value: unknown, typeName?: string): Promise<Uint8Array> {
    const codec = this.get(contentType);
    this.#main++;
    return codec.encode(value, typeName);
  }

  async decodeAsync(contentType: string, bytes: Uint8Array, typeName?: string): Promise<unknown> {
    const codec = this.get(contentType);
    if (bytes.length >= this.#options.offloadThresholdBytes && this.#poolable.has(codec.contentType) && !this.#poolDisabled) {
      const { maxThreads, offloadsPerThread } = this.#options;
      if (this.#inFlight < maxThreads * offloadsPerThread) return this.#offload(codec, bytes, typeName);
      this.#spilled++;
    }
    this.#main++;
    return codec.decode(bytes, typeName);
  }

  async #offload(codec: Codec, bytes: Uint8Array, typeName: string | undefined): Promise<unknown> {
    let outcome: CodecPoolOutcome;
    this.#inFlight++;
    try {
      this.#pool ??= this.#startPool();
      outcome = await this.#pool.decode(codec.contentType, bytes, typeName);
    } catch (err) {
      return this.#fallback(codec, bytes, typeName, err);
    } finally {
      this.#inFlight--;
    }
    if (outcome.failed === 'pool') return this.#fallback(codec, bytes, typeName, new Error(outcome.detail));
    this.#poolProven = true;
    this.#offloaded++;
    if (outcome.failed !== false) throw new MicroError(outcome.reason, outcome.detail);
    this.#workerThreadIds.add(outcome.threadId);
    return outcome.value;
  }

  /** The pool itself failed: decode here, and stop offloading if it never worked at all. */
  #fallback(codec: Codec, bytes: Uint8Array, typeName: string | undefined, err: unknown): unknown {
    this.#fallbacks++;
    const { logger } = this.#options;
    if (this.#closed) {
      // close() destroyed the pool under this body: expected, not worth a warning.
    } else if (!this.#poolProven && !this.#poolDisabled) {
      this.#poolDisabled = true;
      logger.error({ err, contentType: codec.contentType }, 'codec worker pool unusable; decoding on the main thread from now on');
      void this.#stopPool();
    } else {
      logger.warn({ err, contentType: codec.contentType }, 'codec worker failed; decoded on the main thread');
    }
    return codec.decode(bytes, typeName);
  }

  #startPool(): CodecPool {
    const { maxThreads, idleTimeoutMs, protoFiles, protobuf, msgpack, logger } = this.#options;
    return new CodecPool({ maxThreads, idleTimeoutMs, logger, workerData: { protoFiles, protobuf, msgpack } });
  }

  stats(): CodecsStats {
    return {
      main: this.#main,
      offloaded: this.#offloaded,
      spilled: this.#spilled,
      fallbacks: this.#fallbacks,
      poolThreads: this.#pool?.threads ?? 0,
      workerThreadIds: [...this.#workerThreadIds],
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#poolDisabled = true;
    await this.#stopPool();
  }

  #stopPool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool !== undefined) {
      this.#poolStopping = pool.close().catch((err: unknown) => this.#options.logger.warn({ err }, 'codec worker pool did not stop cleanly'));
    }
    return this.#poolStopping;
  }
}

/** `application/json; charset=utf-8` → `application/json`. */
function bare(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * The codec registry with JSON, msgpack, protobuf and octet-stream built in.
 *
 * @example
 * const codecs = createCodecs({ protoFiles: ['proto/greeter.proto'] });
 * const body = await codecs.decodeAsync('application/json', bytes);
 * await codecs.close();
 */
export function createCodecs(options: Partial<CodecsOptions> = {}): Codecs {
  return new PooledCodecs({ ...defaultCodecsOptions(), ...options });
}

export { ContentType };
