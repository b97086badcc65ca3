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
import { encodeFrame } from '../../../../src/mesh/transport/frame-codec.ts';
import { createTransportStats, type Frame, type TransportStats } from '../../../../src/mesh/transport/transport.ts';
import { frameOf, Inbox, pattern } from '../../../conformance/transport.ts';

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

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
    conn.pauseReading();
    conn.close();
    assert.equal(channel.ended, true);
    assert.equal(channel.paused, false, 'reading again so the peer end can arrive');
    clock.advance(1999);
    assert.equal(channel.destroyed, false);
    clock.advance(1);
    assert.equal(channel.destroyed, true);
  });

  test('frame connection — pauseReading and resumeReading are idempotent and not counted', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0 });
    conn.pauseReading();
    conn.pauseReading();
    assert.equal(channel.pauses, 1);
    conn.resumeReading();
    assert.equal(channel.paused, false, 'one resume undoes two pauses');
    conn.resumeReading();
    assert.equal(channel.resumes, 1);
    conn.close();
    conn.pauseReading();
    assert.equal(channel.pauses, 1, 'no-op once closed');
  });

  test('frame connection — a handler set while reading is paused does not resume the channel', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0, highWaterMarkBytes: 1024 }, false);
    for (let i = 0; i < 200; i++) conn.receive(encodeFrame(frameOf(i, pattern(100, i))));
    assert.equal(channel.paused, true, 'early frames over the mark paused the channel');
    conn.pauseReading();
    conn.setHandler(new Inbox());
    assert.equal(channel.paused, true, 'still paused by pauseReading');
    conn.resumeReading();
    assert.equal(channel.paused, false);
    assert.equal(channel.pauses, 1);
  });

  test('frame connection — while paused, a peer taking our writes is alive; one taking nothing times out', async () => {
    const options = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000, frameTimeoutMs: 0 };
    const alive = rig(options);
    alive.conn.pauseReading();
    for (let s = 0; s < 30; s++) {
      alive.conn.send(frameOf(s, pattern(100, s)));
      await tick();
      alive.clock.advance(500);
      alive.channel.take();
      alive.clock.advance(500);
    }
    assert.equal(alive.conn.closed, false, '30 s paused, the peer reading all along');
    const stuck = rig(options);
    stuck.conn.pauseReading();
    stuck.conn.send(frameOf(1, pattern(100, 1)));
    await tick();
    stuck.clock.advance(2999);
    assert.equal(stuck.conn.closed, false);
    stuck.clock.advance(2000);
    assert.equal(stuck.conn.closed, true);
    assert.match(String(stuck.inbox.closes[0]?.message), /heartbeat timeout/);
  });

  test('frame connection — frames decoded from the chunk being read when reading pauses are still delivered', () => {
    const { conn, channel } = rig({ heartbeatIntervalMs: 0 });
    const frames: Frame[] = [];
    conn.setHandler({
      onFrame: (frame) => {
        frames.push(frame);
        conn.pauseReading();
      },
      onClose: () => {},
    });
    conn.receive(Buffer.concat([1, 2, 3].map((i) => encodeFrame(frameOf(i, pattern(5, i))))));
    assert.equal(channel.paused, true);
    assert.deepEqual(
      frames.map((f) => f.streamId),
      [1, 2, 3],
    );
  });
});
