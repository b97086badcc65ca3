/**
 * `application/protobuf`: protobufjs messages, typed by fully qualified name (`greeter.Request`).
 */
import protobuf from 'protobufjs';
import { MicroError } from '../errors.ts';
import { asBuffer, type Codec, ContentType, EMPTY_BYTES, decodeFailed, encodeFailed } from './codec.ts';

/** How decoded messages look; plain data so a worker thread can build the same codec. */
export interface ProtobufConversionOptions {
  /**
   * 64-bit integers as decimal strings (lossless and JSON-safe, as proto3's JSON mapping does)
   * or as numbers (exact only up to 2^53).
   * @default 'string'
   */
  longs: 'string' | 'number';
  /**
   * Enum values as their names (readable, stable across renumbering) or as numbers.
   * @default 'string'
   */
  enums: 'string' | 'number';
  /**
   * Fill unset fields with their zero values (`''`, `0`, `[]`, `{}`, `null` for messages), as a
   * Go struct would have them, so handlers need no `?? ''`.
   * @default true
   */
  defaults: boolean;
}

export interface ProtobufCodecOptions extends ProtobufConversionOptions {
  /** A root that already holds the message types. @default a new empty root */
  root?: protobuf.Root;
  /** .proto files to load into the root (synchronously, at creation). @default [] */
  protoFiles: string[];
}

export function defaultProtobufCodecOptions(): ProtobufCodecOptions {
  return { protoFiles: [], longs: 'string', enums: 'string', defaults: true };
}

class ProtobufjsCodec implements ProtobufCodec {
  readonly contentType = ContentType.PROTOBUF;
  readonly root: protobuf.Root;
  readonly #types = new Map<string, protobuf.Type>();
  readonly #conversion: protobuf.IConversionOptions;

  constructor(options: ProtobufCodecOptions) {
    this.root = options.root ?? new protobuf.Root();
    if (options.protoFiles.length > 0) {
      try {
        this.root.loadSync(options.protoFiles);
      } catch (err) {
        const detail = `cannot load ${options.protoFiles.join(', ')}: ${err instanceof Error ? err.message : err}`;
        throw new MicroError('INTERNAL', detail, { cause: err });
      }
    }
    this.#conversion = {
      longs: options.longs === 'string' ? String : Number,
      enums: options.enums === 'string' ? String : undefined,
      defaults: options.defaults,
    };
  }

  encode(value: unknown, typeName?: string): Uint8Array {
    const type = this.#type(typeName);
    if (value === undefined) return EMPTY_BYTES;
    if (typeof value !== 'object' || value === null) {
      throw encodeFailed(this.contentType, `a message must be an object, not ${value === null ? 'null' : typeof value}`, typeName);
    }
    try {
      // fromObject accepts what decode gives back (string longs, enum names) and plain objects.
      return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    } catch (err) {
      throw encodeFailed(this.contentType, err, typeName);
    }
  }

  decode(bytes: Uint8Array, typeName?: string): unknown {
    const type = this.#type(typeName);
    try {
      return type.toObject(type.decode(asBuffer(bytes)), this.#conversion);
    } catch (err) {
      throw decodeFailed(this.contentType, err, typeName);
    }
  }

  #type(typeName: string | undefined): protobuf.Type {
    if (typeName === undefined || typeName === '') {
      throw new MicroError('BAD_REQUEST', `${this.contentType}: a fully qualified message type name is required`);
    }
    let type = this.#types.get(typeName);
    if (type === undefined) {
      try {
        type = this.root.lookupType(typeName);
      } catch {
        throw new MicroError('BAD_REQUEST', `${this.contentType}: unknown message type ${typeName}`);
      }
      this.#types.set(typeName, type);
    }
    return type;
  }
}

/** A protobuf codec; the root it reads types from is exposed for codegen and tools. */
export interface ProtobufCodec extends Codec {
  readonly root: protobuf.Root;
}

/**
 * The protobuf codec. `encode`/`decode` need the fully qualified type name; an unknown one is
 * `BAD_REQUEST`. Decoded messages are plain objects (see {@link ProtobufConversionOptions}).
 *
 * @example
 * const codec = createProtobufCodec({ protoFiles: ['proto/greeter.proto'] });
 * const bytes = codec.encode({ name: 'Ana' }, 'greeter.Request');
 */
export function createProtobufCodec(options: Partial<ProtobufCodecOptions> = {}): ProtobufCodec {
  return new ProtobufjsCodec({ ...defaultProtobufCodecOptions(), ...options });
}
