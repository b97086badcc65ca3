/**
 * Request/response. Case `echo`: over loopback TCP between two processes, the client here, the
 * server in a child, with JSON bodies of about 100 B and 10 KB at concurrency 1, 64 and 256. Case
 * `echo-mw`: micromesh's echo with a no-op middleware (`call`, `attempt`, `handler`) on both nodes,
 * compared with every `echo` row as well (see `compare`). Cases `echo-auth` (both nodes with auth on: the token
 * verified, from the cache, and a rule applied on every call) and `echo-tls` (mutual TLS) are compared the same
 * way; their ratio to micromesh's own `echo` is what they cost. Cases `echo-traced` (the tracing middleware with a
 * no-op tracer), `echo-traced-sdk` (with the OpenTelemetry SDK's batch span processor) and `echo-metrics`
 * (prom-client metrics on) are micromesh's echo with operations on, on both nodes, compared the same way. Case `local`: an in-process call to a
 * service of the same node (micromesh) or broker (Moleculer), 100 B, at the same concurrencies. Case `echo-nats`
 * (see `natsRuns`): the same echo over a NATS server, 100 B.
 * Cases run payload by payload and concurrency by concurrency, every implementation in turn, in
 * BENCH_RPC_ROUNDS interleaved rounds (default 5, each a fifth of the duration; round-to-round swings of 20% are
 * common on a shared machine, and concurrency 1 suffers them most) so that a burst of
 * load from elsewhere on the machine hits them alike; the row kept is each implementation's median
 * round by ops/s. Each implementation starts once. micromesh runs as
 * bench/peers/micromesh.ts (set BENCH_MICROMESH_INSTANCES to change its echo service's instance
 * actors); to add an implementation, add its {@link RpcImpl} to `echoRuns` or its {@link LocalImpl}
 * to `localImpls`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { connect } from 'node:net';
import { makePayload } from '../fixtures/payload.ts';
import type { BenchContext } from '../lib/context.ts';
import { measureRounds } from '../lib/measure.ts';
import type { CompareCases } from '../lib/report.ts';
import type { LocalImpl, RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import {
  micromeshAuthImpl,
  micromeshImpl,
  micromeshLocalImpl,
  micromeshMetricsImpl,
  micromeshNatsImpl,
  micromeshNoopMiddlewareImpl,
  micromeshTlsImpl,
  micromeshTracedImpl,
  micromeshTracedSdkImpl,
} from '../peers/micromesh.ts';
import { moleculerImpl, moleculerLocalImpl } from '../peers/moleculer.ts';
import { moleculerNatsImpl } from '../peers/moleculer-nats.ts';
import { BENCH_NATS_URL } from '../peers/nats-bench.ts';
import { rawNatsImpl } from '../peers/raw-nats.ts';
import { rawTcpImpl } from '../peers/raw-tcp.ts';

/** A case and the implementation measured for it over the network. */
export interface EchoRun {
  case: string;
  impl: RpcImpl;
}

/** Every networked (case, implementation), in the order they run at each payload and concurrency. */
export const echoRuns: readonly EchoRun[] = [
  { case: 'echo', impl: rawTcpImpl },
  { case: 'echo', impl: moleculerImpl },
  { case: 'echo', impl: micromeshImpl },
  { case: 'echo-mw', impl: micromeshNoopMiddlewareImpl },
  { case: 'echo-auth', impl: micromeshAuthImpl },
  { case: 'echo-tls', impl: micromeshTlsImpl },
  { case: 'echo-traced', impl: micromeshTracedImpl },
  { case: 'echo-traced-sdk', impl: micromeshTracedSdkImpl },
  { case: 'echo-metrics', impl: micromeshMetricsImpl },
];

/**
 * Case `echo-nats`: request/reply over the bench's NATS server (BENCH_NATS_URL, default 127.0.0.1:4222), two
 * processes, 100 B: nats.js `request()` with no framework, Moleculer's NATS transporter, micromesh's NATS transport.
 */
export const natsRuns: readonly EchoRun[] = [
  { case: 'echo-nats', impl: rawNatsImpl },
  { case: 'echo-nats', impl: moleculerNatsImpl },
  { case: 'echo-nats', impl: micromeshNatsImpl },
];
export const NATS_PAYLOAD_BYTES = 100;

/** Every in-process implementation of case `local`, in the order they run at each concurrency. */
export const localImpls: readonly LocalImpl[] = [moleculerLocalImpl, micromeshLocalImpl];

/** micromesh's `echo-mw` rows are also compared with the peers' and micromesh's own `echo` rows. */
export const compare: CompareCases = {
  'echo-mw': 'echo',
  'echo-auth': 'echo',
  'echo-tls': 'echo',
  'echo-traced': 'echo',
  'echo-traced-sdk': 'echo',
  'echo-metrics': 'echo',
};

export const PAYLOAD_BYTES = [100, 10_240] as const;
export const LOCAL_PAYLOAD_BYTES = 100;
export const CONCURRENCY = [1, 64, 256] as const;

interface Running {
  case: string;
  name: string;
  client: RpcClient;
  stop: () => Promise<void>;
}

async function startEcho(ctx: BenchContext, run: EchoRun, running: Running[]): Promise<void> {
  const t0 = performance.now();
  const server: RpcServer = await run.impl.startServer();
  let client: RpcClient;
  try {
    client = await run.impl.createClient(server.address);
  } catch (err) {
    await server.stop();
    throw err;
  }
  running.push({
    case: run.case,
    name: run.impl.name,
    client,
    stop: async () => {
      await client.close();
      await server.stop();
    },
  });
  ctx.log(`${run.case} ${run.impl.name}: server at ${server.address}, client connected in ${Math.round(performance.now() - t0)} ms`);
}

async function startLocal(ctx: BenchContext, impl: LocalImpl, running: Running[]): Promise<void> {
  const t0 = performance.now();
  const client = await impl.start();
  running.push({ case: 'local', name: impl.name, client, stop: () => client.close() });
  ctx.log(`local ${impl.name}: started in ${Math.round(performance.now() - t0)} ms`);
}

async function stopAll(running: Running[]): Promise<void> {
  for (const r of running.splice(0)) await r.stop();
}

// Every running implementation in turn, at each concurrency, with one payload.
async function measureAll(ctx: BenchContext, running: readonly Running[], payloadBytes: number): Promise<void> {
  const payload = makePayload(payloadBytes);
  const body = payload.value;
  ctx.log(`payload ${payloadBytes}: ${payload.typeName}, ${payload.jsonBytes} B as JSON`);
  // An echo that changes the body would make every number below meaningless.
  for (const r of running) deepStrictEqual(await r.client.call(body), body, `${r.case} ${r.name} echo`);
  const rounds = Number(process.env.BENCH_RPC_ROUNDS ?? 5);
  for (const concurrency of CONCURRENCY) {
    const specs = running.map((r) => ({ case: r.case, impl: r.name, concurrency, payloadBytes, op: () => r.client.call(body) }));
    await measureRounds(ctx, specs, rounds, (row, round) => ctx.log(`  ${row.case} ${payloadBytes} B c=${concurrency} ${row.impl} (round ${round}): ${row.opsPerSec.toLocaleString('en-US')} ops/s`));
  }
}

function natsReachable(): Promise<boolean> {
  const url = new URL(BENCH_NATS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 4222) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The cases BENCH_RPC_CASES lists (comma-separated), or every case. */
function wanted(name: string): boolean {
  const only = process.env.BENCH_RPC_CASES;
  return only === undefined || only === '' || only.split(',').includes(name);
}

export default async function rpc(ctx: BenchContext): Promise<void> {
  await ctx.ensurePeerDeps();
  const running: Running[] = [];
  try {
    for (const run of echoRuns) if (wanted(run.case)) await startEcho(ctx, run, running);
    if (running.length > 0) for (const payloadBytes of PAYLOAD_BYTES) await measureAll(ctx, running, payloadBytes);
    // The networked implementations are gone before the in-process ones run, so that no idle
    // connection or child shares the event loop with them.
    await stopAll(running);
    if (!wanted('echo-nats')) {
      // left out by BENCH_RPC_CASES
    } else if (await natsReachable()) {
      for (const run of natsRuns) await startEcho(ctx, run, running);
      await measureAll(ctx, running, NATS_PAYLOAD_BYTES);
      await stopAll(running);
    } else {
      ctx.log(`echo-nats: nothing listens at ${BENCH_NATS_URL}; its rows are left out`);
    }
    if (!wanted('local')) return;
    for (const impl of localImpls) await startLocal(ctx, impl, running);
    await measureAll(ctx, running, LOCAL_PAYLOAD_BYTES);
  } finally {
    await stopAll(running);
  }
}
