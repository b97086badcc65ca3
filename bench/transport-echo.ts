/**
 * Echo throughput of the TCP transport in one process: a client keeps N frames (100-byte bodies) in flight to a
 * server that sends each one back. Compares the two per-tick flush schedulers and a raw node:net echo of the same
 * bytes. Run: `npx tsx bench/transport-echo.ts [durationMs] [rounds]`.
 */
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { BenchRow } from './lib/context.ts';
import { encodeFrame } from '../src/mesh/transport/frame-codec.ts';
import type { FlushScheduler } from '../src/mesh/transport/frame-connection.ts';
import { createTcpTransport } from '../src/mesh/transport/tcp.ts';
import { type Connection, type Frame, FrameType } from '../src/mesh/transport/transport.ts';

export interface EchoRow extends BenchRow {
  /** `echo` sends back inside onFrame; `echo-async` after one or two awaits, as async handlers do. */
  case: 'echo' | 'echo-async';
}

const PAYLOAD = 100;
const WARMUP_MS = 300;

function percentile(samples: Float64Array, count: number, p: number): number {
  const sorted = samples.subarray(0, count).sort();
  return sorted[Math.min(count - 1, Math.floor(count * p))] ?? 0;
}

/** Counts round trips after the warm-up and samples latencies; `stop` resolves the result. */
class Meter {
  readonly #latencies = new Float64Array(1 << 20);
  #samples = 0;
  #count = 0;
  #measuring = false;
  #started = 0;

  record(sentAt: number, now: number): void {
    if (!this.#measuring) return;
    this.#count++;
    if (this.#samples < this.#latencies.length) this.#latencies[this.#samples++] = (now - sentAt) * 1000;
  }

  async run(durationMs: number): Promise<{ opsPerSec: number; p50us: number; p99us: number }> {
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    this.#measuring = true;
    this.#started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    this.#measuring = false;
    const seconds = (performance.now() - this.#started) / 1000;
    return {
      opsPerSec: Math.round(this.#count / seconds),
      p50us: Math.round(percentile(this.#latencies, this.#samples, 0.5)),
      p99us: Math.round(percentile(this.#latencies, this.#samples, 0.99)),
    };
  }
}

async function echoLater(conn: Connection, frame: Frame): Promise<void> {
  if (frame.streamId & 1) await null;
  await null;
  if (!conn.closed) conn.send(frame);
}

async function micromeshEcho(
  kind: EchoRow['case'],
  flush: FlushScheduler,
  inFlight: number,
  durationMs: number,
): Promise<EchoRow> {
  const server = createTcpTransport({ flush, heartbeatIntervalMs: 0 });
  const client = createTcpTransport({ flush, heartbeatIntervalMs: 0 });
  const listener = await server.listen('127.0.0.1:0', (conn) =>
    conn.setHandler({
      onFrame: kind === 'echo' ? (frame) => conn.send(frame) : (frame) => void echoLater(conn, frame),
      onClose: () => {},
    }),
  );
  const conn = await client.dial(listener.address);
  const meter = new Meter();
  const sentAt = new Float64Array(inFlight);
  const body = Buffer.alloc(PAYLOAD, 7);
  const header = new Uint8Array(0);
  let running = true;
  conn.setHandler({
    onFrame: (frame: Frame) => {
      const now = performance.now();
      meter.record(sentAt[frame.streamId], now);
      if (!running) return;
      sentAt[frame.streamId] = now;
      conn.send(frame);
    },
    onClose: () => {},
  });
  for (let slot = 0; slot < inFlight; slot++) {
    sentAt[slot] = performance.now();
    conn.send({ type: FrameType.REQUEST, flags: 0, streamId: slot, header, body });
  }
  const result = await meter.run(durationMs);
  running = false;
  await client.close();
  await server.close();
  return { case: kind, impl: `micromesh (${flush})`, concurrency: inFlight, payloadBytes: PAYLOAD, ...result };
}

/** The same bytes over bare sockets: the server writes back each chunk, the client re-sends per chunk. */
async function rawEcho(inFlight: number, durationMs: number): Promise<EchoRow> {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (chunk) => socket.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const frame = encodeFrame({ type: FrameType.REQUEST, flags: 0, streamId: 0, header: new Uint8Array(0), body: Buffer.alloc(PAYLOAD, 7) });
  const meter = new Meter();
  const sentAt: number[] = [];
  let partial = 0;
  let running = true;
  socket.on('data', (chunk: Buffer) => {
    const bytes = partial + chunk.length;
    const frames = Math.floor(bytes / frame.length);
    partial = bytes % frame.length;
    const now = performance.now();
    for (let i = 0; i < frames; i++) meter.record(sentAt.shift() ?? now, now);
    if (!running || frames === 0) return;
    for (let i = 0; i < frames; i++) sentAt.push(now);
    socket.write(frames === 1 ? frame : Buffer.concat(Array(frames).fill(frame)));
  });
  for (let i = 0; i < inFlight; i++) sentAt.push(performance.now());
  socket.write(Buffer.concat(Array(inFlight).fill(frame)));
  const result = await meter.run(durationMs);
  running = false;
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { case: 'echo', impl: 'raw-tcp', concurrency: inFlight, payloadBytes: PAYLOAD, ...result };
}

/**
 * Each case runs `rounds` times, the schedulers in alternating order so neither always runs warmer; a row keeps the
 * median round.
 */
export async function runTransportEcho(durationMs = 2000, rounds = 3): Promise<EchoRow[]> {
  const rows: EchoRow[] = [];
  for (const inFlight of [1, 256]) {
    const runs = new Map<string, EchoRow[]>();
    const add = (row: EchoRow): void => {
      const key = `${row.case} ${row.impl}`;
      runs.set(key, [...(runs.get(key) ?? []), row]);
    };
    for (let round = 0; round < rounds; round++) {
      add(await rawEcho(inFlight, durationMs));
      const order: FlushScheduler[] = round % 2 === 0 ? ['nextTick', 'microtask'] : ['microtask', 'nextTick'];
      for (const kind of ['echo', 'echo-async'] as const) {
        for (const flush of order) add(await micromeshEcho(kind, flush, inFlight, durationMs));
      }
    }
    for (const list of runs.values()) {
      rows.push(list.sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor(list.length / 2)]);
    }
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const durationMs = Number(process.argv[2] ?? 2000);
  const rounds = Number(process.argv[3] ?? 3);
  console.log(`transport-echo: node ${process.version}, ${os.cpus().length} cpus, ${durationMs} ms x ${rounds} rounds per case (median)`);
  const rows = await runTransportEcho(durationMs, rounds);
  console.table(rows.map((r) => ({ case: r.case, impl: r.impl, inFlight: r.concurrency, opsPerSec: r.opsPerSec, p50us: r.p50us, p99us: r.p99us })));
}
