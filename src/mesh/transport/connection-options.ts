/**
 * What every byte-stream connection is built on and tuned by: the {@link ByteChannel} a transport supplies and the
 * {@link ConnectionOptions} its connections share, with their defaults.
 */
import { type Clock, systemClock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './frame-codec.ts';

/** The byte pipe under a connection; net.Socket satisfies it. */
export interface ByteChannel {
  write(chunk: Uint8Array): boolean;
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

/** When queued frames are written: after the current tick's nextTick queue, or as a microtask. */
export const FlushScheduler = { NEXT_TICK: 'nextTick', MICROTASK: 'microtask' } as const;
export type FlushScheduler = (typeof FlushScheduler)[keyof typeof FlushScheduler];

/** Options every connection of a transport shares. */
export interface ConnectionOptions {
  /** Largest frame (`length`: 8 + header + body bytes) sent or accepted. @default 4 MiB */
  maxFrameBytes?: number;
  /** `send` returns false once this many bytes wait to be written (raised to the channel's own mark). @default 1 MiB */
  highWaterMarkBytes?: number;
  /**
   * The hard cap on bytes waiting to be written (`bufferedBytes`): a `send` that would pass it throws UNAVAILABLE and
   * closes the connection at once, since a peer that takes nothing is broken or hostile (UNAVAILABLE, not
   * OVERLOADED: the connection is gone, not a node too busy). Raised to at least the high-water mark plus one
   * largest frame, so a sender that stops when `send` returns false never reaches it.
   * @default 16 MiB
   */
  maxBufferedBytes?: number;
  /** A PING is sent after this long without writing anything; 0 turns heartbeats off. @default 5000 */
  heartbeatIntervalMs?: number;
  /**
   * The connection closes with UNAVAILABLE 'heartbeat timeout' after this long without receiving a byte. While
   * reading is paused (so nothing can be received), the peer taking bytes written to it counts as hearing from it.
   * @default 15000
   */
  heartbeatTimeoutMs?: number;
  /**
   * A frame whose first bytes arrived must be complete within this long, or the connection closes with
   * PROTOCOL_ERROR, counted in `protocolErrors`: a peer trickling bytes keeps heartbeats alive but not this. Time
   * while reading is paused does not count. 0 turns it off.
   * @default 10000
   */
  frameTimeoutMs?: number;
  /** How writes are batched per tick; measured in bench/transport-echo.ts. @default 'nextTick' */
  flush?: FlushScheduler;
  /**
   * Frames queued in one tick are written at once when they reach this many bytes, not at the end of the tick: the
   * peer starts on the first frames of a burst while this side encodes the rest, so both processes work at the same
   * time instead of taking turns (about 1.5× the echo throughput at c=64 over loopback, bench/suites/rpc.ts). 0 writes
   * once per tick whatever the size.
   * @default 4096
   */
  flushBytes?: number;
  /** A gracefully closing channel the peer does not close is destroyed after this long. @default 2000 */
  closeTimeoutMs?: number;
  /** Time and timers for heartbeats, the frame deadline, the close timeout and a TCP dial's timeout. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

export function defaultConnectionOptions(): Required<ConnectionOptions> {
  return {
    maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
    highWaterMarkBytes: 1024 * 1024,
    maxBufferedBytes: 16 * 1024 * 1024,
    heartbeatIntervalMs: 5000,
    heartbeatTimeoutMs: 15_000,
    frameTimeoutMs: 10_000,
    flush: FlushScheduler.NEXT_TICK,
    flushBytes: 4096,
    closeTimeoutMs: 2000,
    clock: systemClock,
    logger: silentLogger,
  };
}
