/**
 * The frames a connection has encoded and not yet handed to its channel: one growing buffer ("slab"), so a tick's
 * frames leave in one write. A region handed out is never written again (the channel may still hold it).
 */
import { EMPTY_BYTES, writeFrame } from './frame-codec.ts';
import type { Frame } from './transport.ts';

const SLAB_BYTES = 64 * 1024;

export class OutSlab {
  #slab: Buffer = EMPTY_BYTES;
  // [#start, #end) waits to be written.
  #start = 0;
  #end = 0;
  /** Frames waiting. */
  frames = 0;

  /** Bytes waiting. */
  get bytes(): number {
    return this.#end - this.#start;
  }

  /** Encodes `frame`, `size` bytes in all (checked by the caller). */
  append(frame: Frame, size: number): void {
    if (this.#slab.length - this.#end < size) this.#grow(size);
    this.#end = writeFrame(this.#slab, this.#end, frame);
    this.frames++;
  }

  /** What waits, handed out once (empty when nothing does). */
  take(): Buffer {
    const out = this.#slab.subarray(this.#start, this.#end);
    this.#start = this.#end;
    this.frames = 0;
    return out;
  }

  /** Forgets what waits and lets the buffer go. */
  drop(): void {
    this.#slab = EMPTY_BYTES;
    this.#start = 0;
    this.#end = 0;
    this.frames = 0;
  }

  // Waiting bytes move to a fresh slab big enough for them and `size` more; regions handed out stay untouched.
  #grow(size: number): void {
    const pending = this.#end - this.#start;
    const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, pending + size, pending * 2));
    if (pending > 0) this.#slab.copy(next, 0, this.#start, this.#end);
    this.#slab = next;
    this.#start = 0;
    this.#end = pending;
  }
}
