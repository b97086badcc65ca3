/**
 * The piscina worker that decodes big bodies off the main thread. It builds the same built-in
 * codecs as the main thread from plain options (protobuf from the same .proto files: a Root
 * cannot cross threads). A decoded value goes back re-packed in the transfer format
 * (transfer.ts), moved rather than copied; a failure goes back as a plain envelope, so it keeps
 * its reason instead of becoming a bare cloned Error.
 */
import { threadId } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { type ErrorReason, MicroError } from '../errors.ts';
import type { Codec } from './codec.ts';
import { createJsonCodec } from './json.ts';
import { createMsgpackCodec, type MsgpackCodecOptions } from './msgpack.ts';
import { createProtobufCodec, type ProtobufConversionOptions } from './protobuf.ts';
import { createTransferPackr, ownedBytes } from './transfer.ts';

/** What the main thread hands every worker at start. */
export interface CodecWorkerData {
  /** .proto files for application/protobuf; empty means protobuf is never sent here. */
  protoFiles: string[];
  protobuf: ProtobufConversionOptions;
  msgpack: MsgpackCodecOptions;
}

/** One unit of work: `payload` is the bytes to decode or the value to encode. */
export interface CodecTask {
  op: 'encode' | 'decode';
  contentType: string;
  typeName: string | undefined;
  payload: unknown;
}

/**
 * Why a task failed. `codec`: the body or value is bad, the caller gets the MicroError.
 * `pool`: this worker could not do the job (a .proto file vanished, the value would not pack);
 * the main thread codes the body itself.
 */
export interface CodecTaskFailure {
  failed: 'codec' | 'pool';
  reason: ErrorReason;
  detail: string;
}

/**
 * The answer: on success the bytes (encode: the body; decode: `[threadId, value]` in the
 * transfer format), else a {@link CodecTaskFailure}.
 */
export type CodecTaskResult = Uint8Array | CodecTaskFailure;

function buildCodecs(data: CodecWorkerData): Map<string, Codec> {
  const list: Codec[] = [createJsonCodec(), createMsgpackCodec(data.msgpack)];
  if (data.protoFiles.length > 0) list.push(createProtobufCodec({ protoFiles: data.protoFiles, ...data.protobuf }));
  return new Map(list.map((codec) => [codec.contentType, codec]));
}

// Caught rather than thrown at import: piscina would mask the cause behind a loader error.
let codecs: Map<string, Codec> | undefined;
let setupError: MicroError | undefined;
try {
  codecs = buildCodecs(Piscina.workerData as CodecWorkerData);
} catch (err) {
  setupError = MicroError.from(err);
}
const transfer = createTransferPackr();

function failure(failed: CodecTaskFailure['failed'], err: unknown): CodecTaskFailure {
  const error = MicroError.from(err);
  return { failed, reason: error.reason, detail: error.detail };
}

export default function runCodecTask(task: CodecTask): CodecTaskResult | ReturnType<typeof Piscina.move> {
  if (codecs === undefined) return failure('pool', `codec worker setup failed: ${setupError?.detail}`);
  const codec = codecs.get(task.contentType);
  if (codec === undefined) return failure('pool', `no worker codec for content type ${task.contentType}`);
  let value: unknown;
  try {
    value = task.op === 'decode' ? codec.decode(task.payload as Uint8Array, task.typeName) : codec.encode(task.payload, task.typeName);
  } catch (err) {
    return failure('codec', err);
  }
  try {
    const bytes = task.op === 'decode' ? transfer.pack([threadId, value]) : (value as Uint8Array);
    return Piscina.move(ownedBytes(bytes));
  } catch (err) {
    return failure('pool', err);
  }
}
