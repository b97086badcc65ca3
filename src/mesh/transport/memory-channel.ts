/**
 * An in-process byte pipe with socket semantics, for the memory transport: what one end writes reaches the other
 * end's sink on a later macrotask (setImmediate, so an echo loop never starves timers or I/O), in order;
 * `end` delivers what is queued and then tells the peer, and the pipe closes once both ends have ended;
 * `destroy` drops what is queued and the peer sees a reset.
 */
import type { ByteChannel } from './connection-options.ts';

/** What a channel reports to the connection on its end. */
export interface ChannelSink {
  receive(chunk: Buffer): void;
  channelDrained(): void;
  channelEnded(): void;
  channelClosed(error?: Error): void;
}

export class MemoryChannel implements ByteChannel {
  readonly writableHighWaterMark = 16 * 1024;
  #peer!: MemoryChannel;
  #sink: ChannelSink | undefined;
  #outbox: Buffer[] = [];
  #queuedBytes = 0;
  #scheduled = false;
  #paused = false;
  #needDrain = false;
  #ending = false;
  #ended = false;
  #closed = false;

  /** Two connected ends. */
  static pair(): [MemoryChannel, MemoryChannel] {
    const a = new MemoryChannel();
    const b = new MemoryChannel();
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  get writableLength(): number {
    return this.#queuedBytes;
  }

  /** Sets who hears this end's events; bytes wait until a sink is attached. */
  attach(sink: ChannelSink): void {
    this.#sink = sink;
    this.#peer.#schedule();
  }

  write(chunk: Uint8Array): boolean {
    if (this.#ending || this.#closed) return false;
    this.#outbox.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#queuedBytes += chunk.byteLength;
    this.#schedule();
    if (this.#queuedBytes < this.writableHighWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#peer.#schedule();
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    this.#schedule();
  }

  destroy(): void {
    if (this.#closed) return;
    const peer = this.#peer;
    this.#close(undefined);
    if (!peer.#closed) peer.#close(new Error('connection reset by peer'));
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(this.#deliver);
  }

  readonly #deliver = (): void => {
    this.#scheduled = false;
    const peer = this.#peer;
    const sink = peer.#sink;
    if (sink === undefined) return;
    while (this.#outbox.length > 0 && !peer.#paused && !this.#closed && !peer.#closed) {
      const chunk = this.#outbox.shift() as Buffer;
      this.#queuedBytes -= chunk.length;
      sink.receive(chunk);
    }
    if (this.#closed || this.#outbox.length > 0) return;
    if (this.#needDrain) {
      this.#needDrain = false;
      this.#sink?.channelDrained();
    }
    if (this.#ending && !this.#ended) {
      this.#ended = true;
      sink.channelEnded();
      if (peer.#ended) {
        this.#close(undefined);
        peer.#close(undefined);
      }
    }
  };

  #close(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox = [];
    this.#queuedBytes = 0;
    const sink = this.#sink;
    if (sink !== undefined) setImmediate(() => sink.channelClosed(error));
  }
}
