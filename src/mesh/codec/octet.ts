/**
 * `application/octet-stream`: raw bytes, passed through untouched.
 */
import { asBuffer, type Codec, ContentType, EMPTY_BYTES, encodeFailed } from './codec.ts';

class OctetCodec implements Codec {
  readonly contentType = ContentType.OCTET;

  encode(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return value;
    if (value === undefined) return EMPTY_BYTES;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    const kind = value === null ? 'null' : typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value;
    throw encodeFailed(this.contentType, `expected a Uint8Array, Buffer or ArrayBuffer, got ${kind}`);
  }

  /** Every byte string is valid: the same memory comes back as a Buffer, uncopied. */
  decode(bytes: Uint8Array): unknown {
    return asBuffer(bytes);
  }
}

/** The octet codec: Uint8Array (and Buffer, ArrayBuffer) in, the same bytes out as a Buffer; no copies. */
export function createOctetCodec(): Codec {
  return new OctetCodec();
}
