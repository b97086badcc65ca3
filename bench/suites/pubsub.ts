/**
 * Pub/sub throughput. Cases `pubsub-nats`, `pubsub-redis` (raw nats.js / ioredis, Moleculer's emit → event handler
 * over its NATS / Redis transporter, micromesh's NATS / Redis broker) and `pubsub-mesh` (micromesh's mesh-native
 * broker over TCP, found through mDNS). The publisher runs here, the subscriber in a child process
 * (bench/peers/pubsub-subscriber.ts); messages are ~100 B JSON. The publisher sends batches as fast as the
 * implementation takes them, but never more than WINDOW messages ahead of what the subscriber reported, so a
 * slow subscriber is measured, not overrun. ops/s is messages handled by the subscriber per second; p50/p99 are
 * publish-to-handler latencies (a sample of one message in eight) at that load. Every implementation runs
 * BENCH_PUBSUB_ROUNDS times (default 3), the rounds interleaved so that a burst of load from elsewhere on the
 * machine hits them alike; the row kept is each implementation's median round by ops/s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchRow } from '../lib/context.ts';
import { medianRow } from '../lib/measure.ts';
import { makeMessage, type PubSide, type PubSubImpl, pubsubImpls } from '../peers/pubsub.ts';

const WINDOW = 5000;
const BATCH = 200;
// Publishes awaiting confirmation are bounded by WINDOW too: no cap of their own beyond it.
const MAX_BATCHES = WINDOW / BATCH;
const PAYLOAD_BYTES = 100;
const SUBSCRIBER = fileURLToPath(new URL('../peers/pubsub-subscriber.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  /** Messages the subscriber reported so far. */
  got: number;
  /** Resolves on the next `got` or `lat` line. */
  next(): Promise<void>;
  lat: { count: number; p50: number; p99: number } | undefined;
  stop(): Promise<void>;
}

function startSubscriber(impl: PubSubImpl, topic: string, mdnsPort: number): Promise<Child> {
  const proc = spawn(process.execPath, [...(process.env.BENCH_SUB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'subprof')}`] : []), '--import', 'tsx', SUBSCRIBER, impl.id, topic, String(mdnsPort)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${impl.id} subscriber not ready within 20 s`));
    }, 20_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      wake();
      reject(new Error(`${impl.id} subscriber exited with ${code}`));
    });
    const child: Child = {
      process: proc,
      got: 0,
      lat: undefined,
      next: () => new Promise<void>((r) => waiters.push(r)),
      stop: () =>
        new Promise<void>((r) => {
          if (proc.exitCode !== null) return r();
          const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
          proc.once('exit', () => {
            clearTimeout(kill);
            r();
          });
          proc.stdin?.end();
        }),
    };
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const [word, a, b, c] = line.split(' ');
      if (word === 'ready') {
        clearTimeout(timer);
        resolve(child);
      } else if (word === 'got') {
        child.got = Number(a);
        wake();
      } else if (word === 'lat') {
        child.lat = { count: Number(a), p50: Number(b), p99: Number(c) };
        wake();
      }
    });
  });
}

/** Publishes for `ms`, at most WINDOW ahead of the subscriber; returns how many were sent. */
async function pump(pub: PubSide, child: Child, ms: number, sentBefore: number): Promise<number> {
  const end = performance.now() + ms;
  let sent = sentBefore;
  const inflight = new Set<Promise<unknown>>();
  while (performance.now() < end) {
    if (sent - child.got > WINDOW) {
      await Promise.race([child.next(), new Promise((r) => setTimeout(r, 50))]);
      continue;
    }
    const confirms: Promise<unknown>[] = [];
    for (let i = 0; i < BATCH; i++) {
      const r = pub.publish(makeMessage());
      if (r instanceof Promise) confirms.push(r);
    }
    sent += BATCH;
    if (confirms.length > 0) {
      const all = Promise.all(confirms);
      inflight.add(all);
      void all.finally(() => inflight.delete(all));
      if (inflight.size >= MAX_BATCHES) await Promise.race(inflight);
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  return sent;
}

/** Waits until the subscriber reported `count` (to the nearest report) or `ms` passed; returns when it got there. */
async function drained(child: Child, count: number, ms: number): Promise<number> {
  const deadline = performance.now() + ms;
  const target = count - (count % 500);
  while (child.got < target && performance.now() < deadline) await Promise.race([child.next(), new Promise((r) => setTimeout(r, 50))]);
  return performance.now();
}

async function runImpl(ctx: BenchContext, impl: PubSubImpl): Promise<BenchRow> {
  const topic = `bench.pubsub.${process.pid}.${impl.id}`;
  const mdnsPort = 20_000 + Math.floor(Math.random() * 20_000);
  const child = await startSubscriber(impl, topic, mdnsPort);
  let pub: PubSide | undefined;
  try {
    pub = await impl.publisher(topic, { mdnsPort });
    const warm = await pump(pub, child, ctx.warmupMs, 0);
    await drained(child, warm, 10_000);
    child.process.stdin?.write('report\n');
    await child.next();
    const base = child.got;
    const t0 = performance.now();
    const sent = await pump(pub, child, ctx.durationMs, base);
    const t1 = await drained(child, sent, 10_000);
    const delivered = child.got - base;
    child.lat = undefined;
    child.process.stdin?.write('report\n');
    while (child.lat === undefined) await child.next();
    const lat = child.lat as { p50: number; p99: number };
    const opsPerSec = Math.round(delivered / ((t1 - t0) / 1000));
    const lost = sent - base - delivered;
    ctx.log(`${impl.case} ${impl.impl}: ${opsPerSec} msg/s, p50 ${lat.p50} µs, p99 ${lat.p99} µs${lost > 500 ? ` (${lost} not seen by the subscriber)` : ''}`);
    return { case: impl.case, impl: impl.impl, concurrency: 1, payloadBytes: PAYLOAD_BYTES, opsPerSec, p50us: lat.p50, p99us: lat.p99 };
  } finally {
    await pub?.close().catch(() => {});
    await child.stop();
  }
}

export default async function run(ctx: BenchContext): Promise<void> {
  await ctx.ensurePeerDeps();
  const only = process.env.BENCH_PUBSUB_ONLY?.split(',');
  const impls = pubsubImpls.filter((i) => only === undefined || only.includes(i.id));
  const rounds = Math.max(1, Number(process.env.BENCH_PUBSUB_ROUNDS ?? 3));
  const rows = new Map<PubSubImpl, BenchRow[]>(impls.map((i) => [i, []]));
  for (let round = 1; round <= rounds; round++) {
    ctx.log(`round ${round} of ${rounds}`);
    for (const impl of impls) rows.get(impl)?.push(await runImpl(ctx, impl));
  }
  for (const impl of impls) ctx.record(medianRow(rows.get(impl) ?? []));
}
