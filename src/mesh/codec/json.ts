/**
 * `application/json`: the default codec, what the API gateway and every non-JS peer speak.
 */
import { Buffer } from 'node:buffer';
import { type Codec, ContentType, EMPTY_BYTES, decodeFailed, encodeFailed } from './codec.ts';

// fatal: invalid UTF-8 is a decode failure, not silently replaced text. Same speed as lenient.
const utf8 = new TextDecoder('utf-8', { fatal: true });

class JsonCodec implements Codec {
  readonly contentType = ContentType.JSON;

  encode(value: unknown): Uint8Array {
    if (value === undefined) return EMPTY_BYTES;
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw encodeFailed(this.contentType, err);
    }
    if (text === undefined) throw encodeFailed(this.contentType, `a ${typeof value} has no JSON form`);
    // Buffer.from beats TextEncoder on small bodies (it slices a pooled slab) and ties on large ones.
    return Buffer.from(text, 'utf8');
  }

  decode(bytes: Uint8Array): unknown {
    if (bytes.length === 0) return undefined;
    try {
      return JSON.parse(utf8.decode(bytes));
    } catch (err) {
      throw decodeFailed(this.contentType, err);
    }
  }
}

/** The JSON codec: UTF-8 JSON text; `undefined` travels as an empty body. */
export function createJsonCodec(): Codec {
  return new JsonCodec();
}
