/**
 * The wire layout of one frame, big-endian:
 * `[u32 length of what follows][u8 type][u8 flags][u32 streamId][u16 headerLength][header][body]`.
 * `length` is 8 + header + body and is what `maxFrameBytes` bounds.
 */
// Imported, not the global: the global `Buffer` is a getter, and hot paths read it per frame.
import { Buffer } from 'node:buffer';
import { MicroError } from '../errors.ts';
import { type Frame, FrameType } from './transport.ts';

/** Bytes before the header: prefix, type, flags, stream id, header length. */
export const FRAME_HEAD_BYTES = 12;
/** The part of `length` that is not header or body. */
export const FRAME_OVERHEAD_BYTES = 8;
/** Largest header the u16 length can describe. */
export const MAX_HEADER_BYTES = 0xffff;
/** @default for every `maxFrameBytes`: 4 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** A shared empty view for frames without a header or body; never written to. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

const KNOWN_TYPES = new Uint8Array(256);
for (const type of Object.values(FrameType)) KNOWN_TYPES[type] = 1;

export const isFrameType = (value: number): value is FrameType => value >= 0 && value <= 0xff && KNOWN_TYPES[value] === 1;

/** Total bytes `frame` takes on the wire, prefix included. */
export const encodedFrameSize = (frame: Frame): number =>
  FRAME_HEAD_BYTES + frame.header.byteLength + frame.body.byteLength;

/**
 * Why `frame` may not be sent under `maxFrameBytes`, or undefined when it may: PAYLOAD_TOO_LARGE for size, BAD_REQUEST
 * for an unknown type, flags outside a byte or a stream id outside u32.
 */
export function checkFrame(frame: Frame, maxFrameBytes: number): MicroError | undefined {
  const length = FRAME_OVERHEAD_BYTES + frame.header.byteLength + frame.body.byteLength;
  if (length > maxFrameBytes) {
    return new MicroError('PAYLOAD_TOO_LARGE', `frame of ${length} bytes is over the limit of ${maxFrameBytes} bytes`);
  }
  if (frame.header.byteLength > MAX_HEADER_BYTES) {
    return new MicroError('PAYLOAD_TOO_LARGE', `frame header of ${frame.header.byteLength} bytes is over 65535 bytes`);
  }
  if (!isFrameType(frame.type)) return new MicroError('BAD_REQUEST', `unknown frame type ${String(frame.type)}`);
  if ((frame.flags & 0xff) !== frame.flags) return new MicroError('BAD_REQUEST', `frame flags ${frame.flags} not a byte`);
  if (frame.streamId >>> 0 !== frame.streamId) {
    return new MicroError('BAD_REQUEST', `stream id ${frame.streamId} not an unsigned 32-bit integer`);
  }
  return undefined;
}

/** Whether `frame`, `size` bytes in all, passes {@link checkFrame}: the same rules as one test that allocates nothing. */
export function frameIsValid(frame: Frame, size: number, maxFrameBytes: number): boolean {
  return (
    size - 4 <= maxFrameBytes &&
    frame.header.byteLength <= MAX_HEADER_BYTES &&
    isFrameType(frame.type) &&
    (frame.flags & 0xff) === frame.flags &&
    frame.streamId >>> 0 === frame.streamId
  );
}

/** Writes `frame` into `target` at `offset` (room must be there) and returns the offset after it. */
export function writeFrame(target: Uint8Array, offset: number, frame: Frame): number {
  const headerLength = frame.header.byteLength;
  const length = FRAME_OVERHEAD_BYTES + headerLength + frame.body.byteLength;
  const streamId = frame.streamId;
  target[offset] = length >>> 24;
  target[offset + 1] = length >>> 16;
  target[offset + 2] = length >>> 8;
  target[offset + 3] = length;
  target[offset + 4] = frame.type;
  target[offset + 5] = frame.flags;
  target[offset + 6] = streamId >>> 24;
  target[offset + 7] = streamId >>> 16;
  target[offset + 8] = streamId >>> 8;
  target[offset + 9] = streamId;
  target[offset + 10] = headerLength >>> 8;
  target[offset + 11] = headerLength;
  let at = offset + FRAME_HEAD_BYTES;
  if (headerLength > 0) {
    target.set(frame.header, at);
    at += headerLength;
  }
  if (frame.body.byteLength > 0) {
    target.set(frame.body, at);
    at += frame.body.byteLength;
  }
  return at;
}

/** One frame as one Buffer. Does not validate: see {@link checkFrame}. */
export function encodeFrame(frame: Frame): Buffer {
  const out = Buffer.allocUnsafe(encodedFrameSize(frame));
  writeFrame(out, 0, frame);
  return out;
}

/** Many frames as one Buffer, each written straight into it (one allocation, one copy of each body). */
export function encodeFrames(frames: readonly Frame[]): Buffer {
  let size = 0;
  for (const frame of frames) size += encodedFrameSize(frame);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const frame of frames) at = writeFrame(out, at, frame);
  return out;
}

/** Receives each decoded frame. Must not throw: a throw loses the rest of the chunk being decoded. */
export type FrameSink = (frame: Frame) => void;

export interface FrameDecoderOptions {
  /** Largest `length` accepted, checked from the prefix before anything of the frame is buffered. @default 4 MiB */
  maxFrameBytes?: number;
}

/**
 * Memory an incomplete frame may take whatever it declares; beyond it, held memory grows only with bytes received.
 * Frames up to this size (most RPC frames) are gathered with one allocation.
 */
export const PARTIAL_FLOOR_BYTES = 16 * 1024;

/**
 * Turns socket chunks, split anywhere, into frames. A frame that lies inside one chunk is a view into it (no copy).
 * One that spans chunks is gathered into a single buffer that grows geometrically toward the frame's declared size,
 * so however the bytes are trickled, the memory held for it ({@link allocatedBytes}) is at most
 * max(16 KiB, 2 × bytes received of it), never more than its declared size, and so never more than
 * `maxFrameBytes + 4`. On bad bytes `push` returns a MicroError (FRAME_TOO_LARGE, FRAME_GARBLED or PROTOCOL_ERROR)
 * and the decoder stays failed; it throws nothing of its own.
 *
 * @example
 * const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
 * socket.on('data', (chunk) => { const error = decoder.push(chunk, onFrame); if (error) socket.destroy(error); });
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  #error: MicroError | undefined;
  // The frame being gathered across chunks: its first #held bytes in #partial; #need is its size on the wire once
  // its 4-byte prefix is in, else 0. #partial is a fresh buffer per frame: a delivered frame is a view into it.
  #partial: Buffer = EMPTY_BYTES;
  #held = 0;
  #need = 0;
  #partials = 0;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** The error that failed the decoder, if any. */
  get error(): MicroError | undefined {
    return this.#error;
  }

  /** Bytes received of an incomplete frame, held until the rest arrives. */
  get bufferedBytes(): number {
    return this.#held;
  }

  /** Memory held for the incomplete frame: at most max(16 KiB, 2 × {@link bufferedBytes}), 0 when there is none. */
  get allocatedBytes(): number {
    return this.#held === 0 ? 0 : this.#partial.length;
  }

  /** How many frames were left incomplete at the end of a chunk so far: it changes when a new one begins. */
  get partialFrames(): number {
    return this.#partials;
  }

  /** Decodes `chunk`, calling `sink` for each complete frame in order; returns the error if the decoder failed. */
  push(chunk: Uint8Array, sink: FrameSink): MicroError | undefined {
    if (this.#error !== undefined) return this.#error;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    if (this.#held > 0) {
      off = this.#resume(buf, sink);
      if (off < 0) return this.#error;
    }
    const end = buf.length;
    while (off < end) {
      const avail = end - off;
      const error = checkHead(buf, off, Math.min(avail, FRAME_HEAD_BYTES), this.#maxFrameBytes);
      if (error !== undefined) return this.#fail(error);
      if (avail < FRAME_HEAD_BYTES) return this.#stash(buf, off);
      const total = 4 + readU32(buf, off);
      if (avail < total) return this.#stash(buf, off);
      const frame = parseFrame(buf, off, total);
      off += total;
      sink(frame);
    }
    return undefined;
  }

  #stash(buf: Buffer, off: number): undefined {
    const rest = buf.length - off;
    this.#need = rest >= 4 ? 4 + readU32(buf, off) : 0;
    this.#partial = Buffer.allocUnsafe(this.#need === 0 ? FRAME_HEAD_BYTES : this.#capacity(rest));
    this.#held = buf.copy(this.#partial, 0, off);
    this.#partials++;
    return undefined;
  }

  // Continues the gathered frame with `buf`: the offset after the completed frame, or -1 when `buf` was used up.
  #resume(buf: Buffer, sink: FrameSink): number {
    let used = 0;
    if (this.#held < FRAME_HEAD_BYTES) {
      // The head comes first: it is checked as soon as each byte is in, and it gives the frame's size.
      used = buf.copy(this.#partial, this.#held, 0, Math.min(FRAME_HEAD_BYTES - this.#held, buf.length));
      this.#held += used;
      const error = checkHead(this.#partial, 0, this.#held, this.#maxFrameBytes);
      if (error !== undefined) {
        this.#fail(error);
        return -1;
      }
      if (this.#held < 4) return -1;
      this.#need = 4 + readU32(this.#partial, 0);
    }
    const need = this.#need;
    const take = Math.min(need - this.#held, buf.length - used);
    const required = this.#held + take;
    if (required > this.#partial.length) {
      const grown = Buffer.allocUnsafe(this.#capacity(required));
      this.#partial.copy(grown, 0, 0, this.#held);
      this.#partial = grown;
    }
    this.#held += buf.copy(this.#partial, this.#held, used, used + take);
    if (this.#held < need) return -1;
    const whole = this.#partial;
    this.#reset();
    sink(parseFrame(whole, 0, need));
    return used + take;
  }

  // Room for `required` bytes of the frame: double what is in, past the floor, never past the declared size.
  #capacity(required: number): number {
    return Math.min(this.#need, Math.max(PARTIAL_FLOOR_BYTES, 2 * required));
  }

  #reset(): void {
    this.#partial = EMPTY_BYTES;
    this.#held = 0;
    this.#need = 0;
  }

  #fail(error: MicroError): MicroError {
    this.#error = error;
    this.#reset();
    return error;
  }
}

const readU32 = (buf: Uint8Array, at: number): number =>
  ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;

// Checks the first `n` (at most 12) bytes of a frame starting at `off`: as much as those bytes can tell.
function checkHead(buf: Buffer, off: number, n: number, maxFrameBytes: number): MicroError | undefined {
  if (n < 4) return undefined;
  const length = readU32(buf, off);
  if (length > maxFrameBytes) {
    return new MicroError('FRAME_TOO_LARGE', `frame of ${length} bytes is over the limit of ${maxFrameBytes} bytes`);
  }
  if (length < FRAME_OVERHEAD_BYTES) {
    return new MicroError('FRAME_GARBLED', `frame length ${length} is below the ${FRAME_OVERHEAD_BYTES}-byte minimum`);
  }
  if (n < 5) return undefined;
  const type = buf[off + 4];
  if (KNOWN_TYPES[type] !== 1) return new MicroError('PROTOCOL_ERROR', `unknown frame type ${type}`);
  if (n < FRAME_HEAD_BYTES) return undefined;
  const headerLength = (buf[off + 10] << 8) | buf[off + 11];
  if (headerLength > length - FRAME_OVERHEAD_BYTES) {
    return new MicroError(
      'FRAME_GARBLED',
      `header length ${headerLength} runs past the frame (${length - FRAME_OVERHEAD_BYTES} bytes of header and body)`,
    );
  }
  return undefined;
}

function parseFrame(buf: Buffer, off: number, total: number): Frame {
  const headerLength = (buf[off + 10] << 8) | buf[off + 11];
  const headerStart = off + FRAME_HEAD_BYTES;
  const bodyStart = headerStart + headerLength;
  const end = off + total;
  return {
    type: buf[off + 4] as FrameType,
    flags: buf[off + 5],
    streamId: readU32(buf, off + 6),
    header: headerLength === 0 ? EMPTY_BYTES : buf.subarray(headerStart, bodyStart),
    body: bodyStart === end ? EMPTY_BYTES : buf.subarray(bodyStart, end),
  };
}
