/**
 * `application/msgpack`: compact binary via msgpackr.
 */
import { Packr } from 'msgpackr';
import { asBuffer, type Codec, ContentType, EMPTY_BYTES, decodeFailed, encodeFailed } from './codec.ts';

/** msgpack settings; plain data so a worker thread can build the same codec. */
export interface MsgpackCodecOptions {
  /**
   * Use msgpackr's record extension: about 2× faster decoding of large arrays of same-shaped
   * objects and half the bytes, but slower on small bodies and unreadable by other msgpack
   * libraries. Both ends must agree.
   * @default false
   */
  records: boolean;
}

export function defaultMsgpackCodecOptions(): MsgpackCodecOptions {
  return { records: false };
}

class MsgpackCodec implements Codec {
  readonly contentType = ContentType.MSGPACK;
  readonly #packr: Packr;

  constructor(options: MsgpackCodecOptions) {
    this.#packr = new Packr({
      useRecords: options.records,
      mapsAsObjects: true,
      // Structured clone (cycles, identity) costs on every object; mesh messages are trees.
      structuredClone: false,
      moreTypes: false,
      // Lossless: int64 within ±2^53 decodes to a number, beyond it to a BigInt. 'auto' is
      // documented and implemented by msgpackr but missing from its type declarations.
      int64AsType: 'auto' as unknown as 'bigint',
    });
  }

  encode(value: unknown): Uint8Array {
    if (value === undefined) return EMPTY_BYTES;
    try {
      return this.#packr.pack(value);
    } catch (err) {
      throw encodeFailed(this.contentType, err);
    }
  }

  decode(bytes: Uint8Array): unknown {
    if (bytes.length === 0) return undefined;
    try {
      return this.#packr.unpack(asBuffer(bytes));
    } catch (err) {
      throw decodeFailed(this.contentType, err);
    }
  }
}

/** The msgpack codec: standard MessagePack maps unless `records` is on. */
export function createMsgpackCodec(options: Partial<MsgpackCodecOptions> = {}): Codec {
  return new MsgpackCodec({ ...defaultMsgpackCodecOptions(), ...options });
}
