/**
 * The codec contract: how a message body becomes bytes and back, chosen by content type.
 * A node holds one codec per content type in a {@link Codecs} registry (codecs.ts); big bodies
 * are coded in a worker pool there, never here.
 */
import { Buffer } from 'node:buffer';
import { MicroError } from '../errors.ts';

/** The content types every node understands. */
export const ContentType = {
  JSON: 'application/json',
  MSGPACK: 'application/msgpack',
  PROTOBUF: 'application/protobuf',
  OCTET: 'application/octet-stream',
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/**
 * Turns values into bytes and back for one content type. Codecs are synchronous and hold no
 * per-message state, so one instance serves every connection.
 *
 * - `encode(undefined)` gives an empty body and `decode` of an empty body gives `undefined`
 *   (protobuf: the type's default message; octet: empty bytes).
 * - `encode` throws `MicroError` `BAD_REQUEST` for a value it cannot represent (a BigInt in
 *   JSON, a cycle, a non-object for protobuf, a non-byte value for octet).
 * - `decode` throws `MicroError` `DECODE_FAILED` naming the content type for bytes it cannot
 *   read; it never throws anything else and never crashes the process.
 * - The returned bytes may be a view into a larger buffer the codec owns; they stay valid.
 * - Binary data in a decoded value is a Buffer (a view of the body, not a copy).
 */
export interface Codec {
  /** The MIME type this codec reads and writes, e.g. `application/json`. */
  readonly contentType: string;
  /** Encode a value; `typeName` is the fully qualified protobuf message type, ignored by others. */
  encode(value: unknown, typeName?: string): Uint8Array;
  /** Decode a body; `typeName` is the fully qualified protobuf message type, ignored by others. */
  decode(bytes: Uint8Array, typeName?: string): unknown;
}

/**
 * The bytes as a Buffer over the same memory (no copy), so binary fields in decoded values are
 * Buffers whatever the transport handed in.
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The shared empty body; never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

const MAX_DETAIL = 200;

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** The error for bytes a codec cannot read. */
export function decodeFailed(contentType: string, err: unknown, typeName?: string): MicroError {
  if (err instanceof MicroError) return err;
  const what = typeName === undefined ? contentType : `${contentType} (${typeName})`;
  return new MicroError('DECODE_FAILED', `${what}: cannot decode body: ${reasonOf(err)}`, { cause: err });
}

/** The error for a value a codec cannot write. */
export function encodeFailed(contentType: string, err: unknown, typeName?: string): MicroError {
  if (err instanceof MicroError) return err;
  const what = typeName === undefined ? contentType : `${contentType} (${typeName})`;
  return new MicroError('BAD_REQUEST', `${what}: cannot encode value: ${reasonOf(err)}`, { cause: err });
}
