/**
 * The connection logic every byte-stream transport shares: batched writes (per tick, or at `flushBytes`), frame decoding, heartbeats, the
 * frame deadline, the size limit, backpressure both ways (the write cap, paused reading) and close. A transport
 * supplies a {@link ByteChannel} (a net.Socket is one) and forwards the channel's events to the connection's
 * `channel*` methods.
 */
import { nextTick } from 'node:process';
import type { Clock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import { type ByteChannel, type ConnectionOptions, FlushScheduler } from './connection-options.ts';
import {
  checkFrame,
  EMPTY_BYTES,
  FRAME_HEAD_BYTES,
  FrameDecoder,
  frameIsValid,
} from './frame-codec.ts';
import { OutSlab } from './out-slab.ts';
import { type Connection, type ConnectionHandler, type Frame, FrameType, type PeerCertificate, type TransportStats } from './transport.ts';

export { type ByteChannel, type ConnectionOptions, defaultConnectionOptions, FlushScheduler } from './connection-options.ts';

export interface FrameConnectionInit {
  id: string;
  localAddress: string;
  remoteAddress: string;
  channel: ByteChannel;
  options: Required<ConnectionOptions>;
  /** The transport's counters, updated in place. */
  stats: TransportStats;
  /** Called once when the connection closes, before the handler hears of it. */
  onClosed(conn: FrameConnection): void;
  /** The other side's verified TLS certificate. @default undefined */
  peerCertificate?: PeerCertificate;
}

// What an early frame is counted as beyond its bytes: the Frame object and its views.
const EARLY_FRAME_OVERHEAD_BYTES = 64;

export class FrameConnection implements Connection {
  readonly id: string;
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly peerCertificate: PeerCertificate | undefined;
  readonly #channel: ByteChannel;
  readonly #options: Required<ConnectionOptions>;
  readonly #clock: Clock;
  readonly #stats: TransportStats;
  readonly #onClosed: (conn: FrameConnection) => void;
  readonly #decoder: FrameDecoder;
  readonly #highWaterMark: number;
  readonly #maxBuffered: number;
  #handler: ConnectionHandler | undefined;
  #early: Frame[] | undefined;
  #earlyBytes = 0;
  // The channel is paused while either holds: early frames over the mark before a handler, or pauseReading.
  #earlyPaused = false;
  #readingPaused = false;
  #channelPaused = false;
  // Sent frames are encoded at once; they are written at the next flush.
  readonly #out = new OutSlab();
  #flushScheduled = false;
  #needDrain = false;
  #closed = false;
  #closeError: Error | undefined;
  #closeDelivered = false;
  #channelGone = false;
  #closeTimer: unknown;
  #heartbeatTimer: unknown;
  #received = false;
  #wrote = false;
  #lastReceivedAt: number;
  // Bytes handed to the channel, and how many of them it had passed on at the last heartbeat.
  #written = 0;
  #takenAtBeat = 0;
  // The frame deadline: one timer at most, armed when a frame is left incomplete and none is armed.
  #deadlineTimer: unknown;
  #partialSeen = 0;
  #partialSince = 0;

  constructor(init: FrameConnectionInit) {
    this.id = init.id;
    this.localAddress = init.localAddress;
    this.remoteAddress = init.remoteAddress;
    this.peerCertificate = init.peerCertificate;
    this.#channel = init.channel;
    this.#options = init.options;
    this.#clock = init.options.clock;
    this.#stats = init.stats;
    this.#onClosed = init.onClosed;
    this.#decoder = new FrameDecoder({ maxFrameBytes: init.options.maxFrameBytes });
    this.#highWaterMark = Math.max(init.options.highWaterMarkBytes, init.channel.writableHighWaterMark);
    this.#maxBuffered = Math.max(init.options.maxBufferedBytes, this.#highWaterMark + init.options.maxFrameBytes + 4);
    this.#lastReceivedAt = this.#clock.now();
    init.stats.connectionsOpened++;
    if (init.options.heartbeatIntervalMs > 0) {
      this.#heartbeatTimer = this.#clock.setTimeout(this.#heartbeat, init.options.heartbeatIntervalMs);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why the connection closed, once it has; undefined while open or after a clean close. */
  get closeError(): Error | undefined {
    return this.#closeError;
  }

  get bufferedBytes(): number {
    return this.#out.bytes + this.#channel.writableLength;
  }

  setHandler(handler: ConnectionHandler): void {
    this.#handler = handler;
    const early = this.#early;
    if (early !== undefined) {
      this.#early = undefined;
      this.#earlyBytes = 0;
      for (const frame of early) this.#dispatch(handler, frame);
    }
    if (this.#earlyPaused) {
      this.#earlyPaused = false;
      this.#syncPause();
    }
    if (this.#closed) this.#deliverClose();
  }

  send(frame: Frame): boolean {
    if (this.#closed) {
      throw new MicroError('UNAVAILABLE', `connection ${this.id} to ${this.remoteAddress} is closed`);
    }
    const size = FRAME_HEAD_BYTES + frame.header.byteLength + frame.body.byteLength;
    // checkFrame builds the precise error only on the rare invalid frame, keeping the hot path allocation-free.
    if (!frameIsValid(frame, size, this.#options.maxFrameBytes)) throw checkFrame(frame, this.#options.maxFrameBytes);
    const buffered = this.#out.bytes + this.#channel.writableLength;
    if (buffered + size > this.#maxBuffered) throw this.#overflow(buffered, size);
    this.#out.append(frame, size);
    const flushBytes = this.#options.flushBytes;
    if (flushBytes > 0 && this.#out.bytes >= flushBytes) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      if (this.#options.flush === FlushScheduler.MICROTASK) queueMicrotask(this.#flush);
      else nextTick(this.#flush);
    }
    if (buffered + size < this.#highWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  pauseReading(): void {
    if (this.#readingPaused || this.#closed) return;
    this.#readingPaused = true;
    this.#syncPause();
  }

  resumeReading(): void {
    if (!this.#readingPaused) return;
    this.#readingPaused = false;
    if (!this.#closed) this.#syncPause();
  }

  close(error?: Error): void {
    this.#shutdown(error, false);
  }

  /** The channel delivered bytes. */
  receive(chunk: Buffer): void {
    if (this.#closed) return;
    this.#stats.bytesIn += chunk.length;
    this.#received = true;
    const decoder = this.#decoder;
    const error = decoder.push(chunk, this.#onFrame);
    if (error !== undefined) {
      if (!this.#closed) this.#protocolFailure(error, 'transport: closing connection after bad bytes from peer');
    } else if (decoder.bufferedBytes > 0 && decoder.partialFrames !== this.#partialSeen) {
      this.#partialStarted();
    }
  }

  /** The channel took everything written to it. */
  channelDrained(): void {
    this.#maybeDrain();
  }

  /** The peer finished sending. */
  channelEnded(): void {
    if (this.#closed) return;
    if (this.#decoder.bufferedBytes > 0) {
      const error = new MicroError('FRAME_GARBLED', `connection from ${this.remoteAddress} ended mid-frame`);
      this.#protocolFailure(error, 'transport: peer ended the connection mid-frame');
      return;
    }
    this.#shutdown(undefined, false);
  }

  /** The channel is gone; `error` when it broke rather than ended. */
  channelClosed(error?: Error): void {
    this.#channelGone = true;
    this.#clock.clearTimeout(this.#closeTimer);
    if (this.#closed) return;
    const reason =
      error === undefined
        ? undefined
        : new MicroError('UNAVAILABLE', `connection to ${this.remoteAddress} lost: ${error.message}`, { cause: error });
    this.#shutdown(reason, true);
  }

  readonly #onFrame = (frame: Frame): void => {
    if (this.#closed) return;
    this.#stats.framesIn++;
    if (frame.type === FrameType.PING) {
      this.#sendControl({ type: FrameType.PONG, flags: 0, streamId: frame.streamId, header: EMPTY_BYTES, body: frame.body });
      return;
    }
    if (frame.type === FrameType.PONG) return;
    const handler = this.#handler;
    if (handler !== undefined) {
      this.#dispatch(handler, frame);
      return;
    }
    (this.#early ??= []).push(frame);
    this.#earlyBytes += FRAME_HEAD_BYTES + frame.header.byteLength + frame.body.byteLength + EARLY_FRAME_OVERHEAD_BYTES;
    if (!this.#earlyPaused && this.#earlyBytes >= this.#highWaterMark) {
      this.#earlyPaused = true;
      this.#syncPause();
    }
  };

  #dispatch(handler: ConnectionHandler, frame: Frame): void {
    try {
      handler.onFrame(frame);
    } catch (err) {
      this.#options.logger.error(
        { connection: this.id, remoteAddress: this.remoteAddress, frameType: frame.type, err },
        'transport: frame handler threw',
      );
    }
  }

  // A PING or PONG from inside the connection: past the write cap it closes the connection instead of throwing.
  #sendControl(frame: Frame): void {
    try {
      this.send(frame);
    } catch {
      // #overflow has closed the connection and logged why.
    }
  }

  #overflow(buffered: number, size: number): MicroError {
    const error = new MicroError(
      'UNAVAILABLE',
      `connection ${this.id} to ${this.remoteAddress} closed: ${buffered} bytes wait to be written and a frame of ` +
        `${size} bytes would pass the ${this.#maxBuffered}-byte limit; the peer is not reading`,
    );
    this.#options.logger.warn(
      { connection: this.id, remoteAddress: this.remoteAddress, bufferedBytes: buffered, maxBufferedBytes: this.#maxBuffered },
      'transport: closing connection to a peer that does not read',
    );
    this.#shutdown(error, true);
    return error;
  }

  #protocolFailure(error: MicroError, message: string): void {
    this.#stats.protocolErrors++;
    this.#options.logger.warn(
      { connection: this.id, remoteAddress: this.remoteAddress, reason: error.reason, detail: error.detail },
      message,
    );
    this.#shutdown(error, true);
  }

  #syncPause(): void {
    const pause = this.#earlyPaused || this.#readingPaused;
    if (pause === this.#channelPaused) return;
    this.#channelPaused = pause;
    if (pause) {
      this.#channel.pause();
      return;
    }
    this.#channel.resume();
    // Paused time is not the peer's: an incomplete frame's deadline starts again.
    if (this.#decoder.bufferedBytes > 0) this.#partialStarted();
  }

  #partialStarted(): void {
    if (this.#options.frameTimeoutMs <= 0 || this.#closed) return;
    this.#partialSeen = this.#decoder.partialFrames;
    this.#partialSince = this.#clock.now();
    this.#deadlineTimer ??= this.#clock.setTimeout(this.#frameDeadline, this.#options.frameTimeoutMs);
  }

  readonly #frameDeadline = (): void => {
    this.#deadlineTimer = undefined;
    // Nothing incomplete, or reading paused (resuming re-arms): nothing is late.
    if (this.#closed || this.#channelPaused || this.#decoder.bufferedBytes === 0) return;
    const timeoutMs = this.#options.frameTimeoutMs;
    const left = this.#partialSince + timeoutMs - this.#clock.now();
    if (left > 0) {
      this.#deadlineTimer = this.#clock.setTimeout(this.#frameDeadline, left);
      return;
    }
    const error = new MicroError(
      'PROTOCOL_ERROR',
      `frame from ${this.remoteAddress} not complete after ${timeoutMs} ms (${this.#decoder.bufferedBytes} bytes of it received)`,
    );
    this.#protocolFailure(error, 'transport: closing connection after a frame took too long to arrive');
  };

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const out = this.#out;
    if (out.bytes === 0 || this.#channelGone) return;
    this.#stats.framesOut += out.frames;
    const bytes = out.take();
    this.#stats.bytesOut += bytes.length;
    this.#written += bytes.length;
    this.#wrote = true;
    this.#channel.write(bytes);
    this.#maybeDrain();
  };

  #maybeDrain(): void {
    if (!this.#needDrain || this.#closed || this.bufferedBytes >= this.#highWaterMark) return;
    this.#needDrain = false;
    const handler = this.#handler;
    if (handler?.onDrain === undefined) return;
    try {
      handler.onDrain();
    } catch (err) {
      this.#options.logger.error({ connection: this.id, err }, 'transport: drain handler threw');
    }
  }

  readonly #heartbeat = (): void => {
    const now = this.#clock.now();
    const taken = this.#written - this.#channel.writableLength;
    // While paused nothing can be received; a peer still taking what is written to it is alive.
    const heard = this.#received || (this.#channelPaused && taken > this.#takenAtBeat);
    this.#takenAtBeat = taken;
    if (heard) {
      this.#received = false;
      this.#lastReceivedAt = now;
    } else if (now - this.#lastReceivedAt >= this.#options.heartbeatTimeoutMs) {
      const silentMs = Math.round(now - this.#lastReceivedAt);
      this.#options.logger.warn(
        { connection: this.id, remoteAddress: this.remoteAddress, silentMs },
        'transport: heartbeat timeout',
      );
      this.#shutdown(
        new MicroError('UNAVAILABLE', `heartbeat timeout: nothing from ${this.remoteAddress} for ${silentMs} ms`),
        true,
      );
      return;
    }
    if (this.#wrote) this.#wrote = false;
    else this.#sendControl({ type: FrameType.PING, flags: 0, streamId: 0, header: EMPTY_BYTES, body: EMPTY_BYTES });
    if (!this.#closed) this.#heartbeatTimer = this.#clock.setTimeout(this.#heartbeat, this.#options.heartbeatIntervalMs);
  };

  // `abrupt` drops what is unwritten and destroys the channel; otherwise queued frames go out before the end.
  #shutdown(error: Error | undefined, abrupt: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    this.#clock.clearTimeout(this.#heartbeatTimer);
    this.#clock.clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    if (!this.#channelGone) {
      if (abrupt) {
        this.#channel.destroy();
      } else {
        this.#flush();
        this.#channel.end();
        // Reading again lets the peer's end arrive (its bytes are dropped) instead of waiting for the timer.
        if (this.#channelPaused) {
          this.#channelPaused = false;
          this.#channel.resume();
        }
        this.#closeTimer = this.#clock.setTimeout(() => this.#channel.destroy(), this.#options.closeTimeoutMs);
      }
    }
    this.#out.drop();
    this.#stats.connectionsClosed++;
    this.#onClosed(this);
    if (this.#handler !== undefined) this.#deliverClose();
  }

  #deliverClose(): void {
    if (this.#closeDelivered || this.#handler === undefined) return;
    this.#closeDelivered = true;
    try {
      this.#handler.onClose(this.#closeError);
    } catch (err) {
      this.#options.logger.error({ connection: this.id, err }, 'transport: close handler threw');
    }
  }
}
