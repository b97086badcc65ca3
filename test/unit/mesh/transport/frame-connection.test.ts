import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock, type SimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger, type RecordingLogger } from '../../../../src/actors/logger.ts';
import {
  type ByteChannel,
  type ConnectionOptions,
  defaultConnectionOptions,
  FrameConnection,
} from '../../../../src/mesh/transport/frame-connection.ts';
import { createTransportStats, type TransportStats } from '../../../../src/mesh/transport/transport.ts';
import { Inbox } from '../../../conformance/transport.ts';

/** A channel whose peer takes written bytes only when told to (`take`); records pauses, resumes and the end. */
class FakeChannel implements ByteChannel {
  readonly writableHighWaterMark = 16 * 1024;
  writableLength = 0;
  written = 0;
  pauses = 0;
  resumes = 0;
  paused = false;
  ended = false;
  destroyed = false;

  write(chunk: Uint8Array): boolean {
    this.writableLength += chunk.byteLength;
    this.written += chunk.byteLength;
    return this.writableLength < this.writableHighWaterMark;
  }

  /** The peer takes `bytes` of what waits (all of it by default). */
  take(bytes = this.writableLength): void {
    this.writableLength -= Math.min(bytes, this.writableLength);
  }

  pause(): void {
    this.pauses++;
    this.paused = true;
  }

  resume(): void {
    this.resumes++;
    this.paused = false;
  }

  end(): void {
    this.ended = true;
  }

  destroy(): void {
    this.destroyed = true;
  }
}

interface Rig {
  conn: FrameConnection;
  channel: FakeChannel;
  clock: SimulatedClock;
  stats: TransportStats;
  logger: RecordingLogger;
  inbox: Inbox;
}

function rig(options: ConnectionOptions = {}, handler = true): Rig {
  const clock = createSimulatedClock();
  const logger = createRecordingLogger();
  const channel = new FakeChannel();
  const stats = createTransportStats();
  const conn = new FrameConnection({
    id: 'fake-1',
    localAddress: 'fake://local',
    remoteAddress: 'fake://remote',
    channel,
    options: { ...defaultConnectionOptions(), clock, logger, ...options },
    stats,
    onClosed: () => {},
  });
  const inbox = new Inbox();
  if (handler) conn.setHandler(inbox);
  return { conn, channel, clock, stats, logger, inbox };
}

describe('frame connection', () => {
  test('frame connection — a silent peer times out on the injected clock', () => {
    const { conn, clock, inbox } = rig({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    clock.advance(2500);
    assert.equal(conn.closed, false);
    assert.ok(conn.bufferedBytes > 0, 'PINGs were queued');
    clock.advance(1000);
    assert.equal(conn.closed, true);
    assert.match(String(inbox.closes[0]?.message), /heartbeat timeout/);
  });
  test('frame connection — a graceful close uses the injected clock for its destroy timer', () => {
    const { conn, clock, channel } = rig({ heartbeatIntervalMs: 0, closeTimeoutMs: 2000 });
    conn.close();
    assert.equal(channel.ended, true);
    clock.advance(1999);
    assert.equal(channel.destroyed, false);
    clock.advance(1);
    assert.equal(channel.destroyed, true);
  });});
