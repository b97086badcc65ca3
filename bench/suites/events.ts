/**
 * Event streams, acked end to end. Each case publishes COUNT events of about 100 B (64 publishes in flight, each
 * awaiting the store's acknowledgement) while a consumer acks every event, and reports events per second from the
 * first publish to the last ack, with the publish latency. Publisher and consumer are separate processes (the
 * consumer is bench/peers/events-consumer.ts), except for the file log, which one process owns: its publisher and
 * consumer share the bench process. Cases: `events-jetstream` (micromesh and raw nats.js: js.publish, consume,
 * ack), `events-redis` (micromesh and raw ioredis: XADD, XREADGROUP, XACK), `events-file` (micromesh with an fsync
 * shared by the publishes in flight, the default, and `micromesh-fsync-each`, one fsync per publish). On JetStream and
 * Redis `micromesh-keyed` publishes each event with one of 64 keys, so that the group keeps each key's order (a chain
 * per key, and a turn to wait for at the consumer). The sides of a case run in BENCH_EVENTS_ROUNDS interleaved rounds
 * (default 3) and each keeps its median round.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createNode, type MeshNode } from '../../src/index.ts';
import { makePayload } from '../fixtures/payload.ts';
import type { BenchContext, BenchRow } from '../lib/context.ts';
import { medianRow } from '../lib/measure.ts';

const COUNT = Number(process.env.BENCH_EVENTS_COUNT ?? '10000');
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_EVENTS_ROUNDS ?? '3')));
const WARMUP = 1000;
const IN_FLIGHT = 64;
const CONSUMER = fileURLToPath(new URL('../peers/events-consumer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const payload = makePayload(100);
/** The keys of the keyed sides: as many as publishes in flight. */
let published = 0;
const nextKey = (): string => `customer-${published++ % IN_FLIGHT}`;

interface Consumer {
  readonly count: () => number;
  stop(): Promise<void>;
}

/** Starts the consumer child and resolves once it is consuming. */
function startConsumer(args: string[]): Promise<Consumer> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CONSUMER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let count = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the events consumer did not start')), 20_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('count ')) count = Number(line.slice(6));
      else if (line === 'ready') {
        clearTimeout(timer);
        resolve({
          count: () => count,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`the events consumer exited with ${code}`)));
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Publishes `n` events with IN_FLIGHT loops, recording each publish's latency. */
async function publishMany(n: number, publish: () => Promise<unknown>, histogram?: RecordableHistogram): Promise<void> {
  let left = n;
  const loop = async (): Promise<void> => {
    while (left > 0) {
      left--;
      const t0 = performance.now();
      await publish();
      histogram?.record(Math.max(1, Math.round((performance.now() - t0) * 1e6)));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
}

/** One implementation of a case: how it publishes, and how many events its consumer acked so far. */
interface Side {
  readonly impl: string;
  publish(): Promise<unknown>;
  consumed(): number;
}

/**
 * Every side of a case in turn, ROUNDS times, so that a burst of load from elsewhere on the machine hits them alike;
 * the row kept is each side's median round by events/s.
 */
async function rounds(ctx: BenchContext, name: string, sides: readonly Side[], count = COUNT): Promise<void> {
  const rows = new Map<Side, BenchRow[]>(sides.map((s) => [s, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const side of sides) rows.get(side)?.push(await run(ctx, name, side, count));
  }
  for (const side of sides) ctx.record(medianRow(rows.get(side) ?? []));
}

/** One round of one side: `count` events after a warm-up, from the first publish to the last ack. */
async function run(ctx: BenchContext, name: string, side: Side, count: number): Promise<BenchRow> {
  const { impl, publish, consumed } = side;
  const warmup = Math.min(WARMUP, count);
  const before = consumed();
  await publishMany(warmup, publish);
  await waitFor(`${name} warm-up`, () => consumed() >= before + warmup);
  const histogram = createHistogram();
  const t0 = performance.now();
  await publishMany(count, publish, histogram);
  await waitFor(`${name} consumed`, () => consumed() >= before + warmup + count);
  const seconds = (performance.now() - t0) / 1000;
  const row = { case: name, impl, concurrency: IN_FLIGHT, payloadBytes: 100, opsPerSec: Math.round(count / seconds), p50us: Math.round(histogram.percentile(50) / 100) / 10, p99us: Math.round(histogram.percentile(99) / 100) / 10 };
  ctx.log(`  ${name} ${impl}: ${row.opsPerSec.toLocaleString('en-US')} events/s acked end to end (publish p50 ${row.p50us} µs)`);
  return row;
}

const publisherNode = (events: string): Promise<MeshNode> => createNode({ id: 'bench-publisher', registry: 'memory', transport: 'memory', address: 'mem://bench-publisher', events });

async function jetstream(ctx: BenchContext, id: string): Promise<void> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: '127.0.0.1:4222' });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  try {
    const rawStream = `BENCH_${id}`;
    await jsm.streams.add({ name: rawStream, subjects: [`${id}raw.x`] });
    const raw = await startConsumer(['--impl', 'raw-nats', '--stream', rawStream, '--topic', `${id}raw.x`, '--group', 'bench']);
    const body = () => new TextEncoder().encode(JSON.stringify(payload.value));
    const url = `nats://127.0.0.1:4222?streamPrefix=BENCH_MM_${id}_`;
    const [mm, keyed] = await Promise.all([
      startConsumer(['--impl', 'micromesh', '--url', url, '--topic', `${id}mm.x`, '--group', 'bench']),
      startConsumer(['--impl', 'micromesh', '--url', url, '--topic', `${id}mk.x`, '--group', 'bench']),
    ]).catch(async (err: unknown) => {
      await raw.stop();
      throw err;
    });
    const node = await publisherNode(url);
    try {
      await rounds(ctx, 'events-jetstream', [
        { impl: 'raw-nats', publish: () => js.publish(`${id}raw.x`, body()), consumed: raw.count },
        { impl: 'micromesh', publish: () => node.events.publish(`${id}mm.x`, payload.value), consumed: mm.count },
        { impl: 'micromesh-keyed', publish: () => node.events.publish(`${id}mk.x`, payload.value, { key: nextKey() }), consumed: keyed.count },
      ]);
    } finally {
      await node.stop();
      await Promise.all([mm.stop(), keyed.stop(), raw.stop()]);
    }
  } finally {
    for await (const s of jsm.streams.list()) if (s.config.name.includes(id)) await jsm.streams.delete(s.config.name);
    await nc.close();
  }
}

async function redis(ctx: BenchContext, id: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis('redis://127.0.0.1:6379');
  try {
    const rawKey = `${id}:raw`;
    const raw = await startConsumer(['--impl', 'raw-redis', '--topic', rawKey, '--group', 'bench']);
    const url = `redis://127.0.0.1:6379?prefix=${id}`;
    const [mm, keyed] = await Promise.all([
      startConsumer(['--impl', 'micromesh', '--url', url, '--topic', 'bench.mm', '--group', 'bench']),
      startConsumer(['--impl', 'micromesh', '--url', url, '--topic', 'bench.mk', '--group', 'bench']),
    ]).catch(async (err: unknown) => {
      await raw.stop();
      throw err;
    });
    const node = await publisherNode(url);
    try {
      await rounds(ctx, 'events-redis', [
        { impl: 'raw-redis', publish: () => client.xadd(rawKey, '*', 'data', JSON.stringify(payload.value)), consumed: raw.count },
        { impl: 'micromesh', publish: () => node.events.publish('bench.mm', payload.value), consumed: mm.count },
        { impl: 'micromesh-keyed', publish: () => node.events.publish('bench.mk', payload.value, { key: nextKey() }), consumed: keyed.count },
      ]);
    } finally {
      await node.stop();
      await Promise.all([mm.stop(), keyed.stop(), raw.stop()]);
    }
  } finally {
    const keys = await client.keys(`${id}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
}

async function file(ctx: BenchContext, impl: string, fsync: 'batch' | 'each'): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-bench-events-'));
  const node = await createNode({ id: 'bench-file', registry: 'memory', transport: 'memory', address: 'mem://bench-file', events: 'file', eventsOptions: { file: { directory, fsync } } });
  try {
    let count = 0;
    await node.events.consume('bench.file', { group: 'bench', concurrency: 64 }, () => {
      count++;
    });
    // An fsync per publish is some hundred times slower: a tenth of the events keeps the row short.
    await rounds(ctx, 'events-file', [{ impl, publish: () => node.events.publish('bench.file', payload.value), consumed: () => count }], fsync === 'each' ? COUNT / 10 : COUNT);
  } finally {
    await node.stop();
    await rm(directory, { recursive: true, force: true });
  }
}

export default async function events(ctx: BenchContext): Promise<void> {
  const id = `b${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  ctx.log(`${COUNT} events of ${payload.jsonBytes} B per round (BENCH_EVENTS_COUNT), ${ROUNDS} rounds (BENCH_EVENTS_ROUNDS), ${IN_FLIGHT} publishes in flight`);
  await jetstream(ctx, id);
  await redis(ctx, id);
  await file(ctx, 'micromesh', 'batch');
  await file(ctx, 'micromesh-fsync-each', 'each');
}
