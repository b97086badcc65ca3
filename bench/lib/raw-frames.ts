/**
 * The raw-tcp peer's wire format: frames of the same shape as micromesh's
 * `[u32 length][u8 type][u8 flags][u32 streamId][u16 headerLength][header][body]`, where `length`
 * counts every byte after itself. {@link FrameWriter} batches all frames written in one tick into a
 * single `socket.write`; {@link FrameReader} cuts a byte stream into frames without copying them.
 */
import { MicroError } from '../../src/mesh/errors.ts';

export const FrameTypes = {
  REQUEST: 1,
  RESPONSE: 2,
  ERROR: 3,
} as const;
export type FrameType = (typeof FrameTypes)[keyof typeof FrameTypes];

/** Bytes before the header: length, type, flags, stream id, header length. */
export const FRAME_PREFIX_BYTES = 12;

/** The header of every request: the endpoint, so the server routes as any RPC server would. */
export const ECHO_ENDPOINT = Buffer.from('Echo.Echo', 'latin1');

/** Where a {@link FrameWriter} sends its batches: a `net.Socket` in practice. */
export interface FrameOutput {
  readonly destroyed: boolean;
  write(chunk: Buffer): boolean;
}

/** Receives frames from a {@link FrameReader}. `buf` is only valid during the call. */
export interface FrameSink {
  onFrame(type: number, flags: number, streamId: number, buf: Buffer, headerStart: number, bodyStart: number, end: number): void;
}

export interface FrameIoOptions {
  /** A frame longer than this closes the connection. @default 4 MiB */
  maxFrameBytes: number;
  /** Size of each write slab; frames are encoded straight into it. @default 64 KiB */
  slabBytes: number;
}

export function defaultFrameIoOptions(): FrameIoOptions {
  return { maxFrameBytes: 4 * 1024 * 1024, slabBytes: 64 * 1024 };
}

export class FrameReader {
  readonly #sink: FrameSink;
  readonly #maxFrameBytes: number;
  #pending: Buffer | undefined;

  constructor(sink: FrameSink, options: Partial<FrameIoOptions> = {}) {
    this.#sink = sink;
    this.#maxFrameBytes = options.maxFrameBytes ?? defaultFrameIoOptions().maxFrameBytes;
  }

  /** Feeds bytes; calls the sink for every complete frame. Throws a MicroError on bytes that are not frames. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    const total = buf.length;
    let at = 0;
    while (total - at >= 4) {
      const length = buf.readUInt32BE(at);
      if (length > this.#maxFrameBytes) {
        throw new MicroError('FRAME_TOO_LARGE', `frame of ${length} bytes exceeds ${this.#maxFrameBytes}`);
      }
      if (length < FRAME_PREFIX_BYTES - 4) throw new MicroError('FRAME_GARBLED', `frame length ${length} is too short`);
      if (total - at - 4 < length) break;
      const headerLength = buf.readUInt16BE(at + 10);
      if (FRAME_PREFIX_BYTES - 4 + headerLength > length) {
        throw new MicroError('FRAME_GARBLED', `header of ${headerLength} bytes overruns a ${length}-byte frame`);
      }
      const headerStart = at + FRAME_PREFIX_BYTES;
      this.#sink.onFrame(buf[at + 4], buf[at + 5], buf.readUInt32BE(at + 6), buf, headerStart, headerStart + headerLength, at + 4 + length);
      at += 4 + length;
    }
    if (at < total) this.#pending = at === 0 ? buf : buf.subarray(at);
  }
}

export class FrameWriter {
  readonly #socket: FrameOutput;
  readonly #slabBytes: number;
  #slab: Buffer;
  /** Start of the bytes not yet handed to the socket. */
  #start = 0;
  #end = 0;
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#end === this.#start) return;
    const out = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    if (!this.#socket.destroyed) this.#socket.write(out);
  };

  constructor(socket: FrameOutput, options: Partial<FrameIoOptions> = {}) {
    this.#socket = socket;
    this.#slabBytes = options.slabBytes ?? defaultFrameIoOptions().slabBytes;
    this.#slab = Buffer.allocUnsafe(this.#slabBytes);
  }

  /** Encodes one frame into the current batch; the batch goes out in one write on the next tick. */
  write(type: FrameType, flags: number, streamId: number, header: Buffer | undefined, body: string): void {
    const headerLength = header === undefined ? 0 : header.length;
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    const room = FRAME_PREFIX_BYTES + headerLength + body.length * 3;
    if (this.#slab.length - this.#end < room) this.#grow(room);
    const slab = this.#slab;
    const at = this.#end;
    slab[at + 4] = type;
    slab[at + 5] = flags;
    slab.writeUInt32BE(streamId, at + 6);
    slab.writeUInt16BE(headerLength, at + 10);
    if (header !== undefined) header.copy(slab, at + FRAME_PREFIX_BYTES);
    const bodyBytes = slab.write(body, at + FRAME_PREFIX_BYTES + headerLength, 'utf8');
    slab.writeUInt32BE(FRAME_PREFIX_BYTES - 4 + headerLength + bodyBytes, at);
    this.#end = at + FRAME_PREFIX_BYTES + headerLength + bodyBytes;
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  // Bytes already written stay in the old slab, which the socket still references; the unflushed
  // batch moves to a new slab that at least doubles, so a large batch is copied O(1) times per byte.
  #grow(room: number): void {
    const pending = this.#end - this.#start;
    const next = Buffer.allocUnsafe(Math.max(this.#slabBytes, 2 * (pending + room)));
    this.#slab.copy(next, 0, this.#start, this.#end);
    this.#slab = next;
    this.#start = 0;
    this.#end = pending;
  }
}
