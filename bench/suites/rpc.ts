/**
 * Request/response over loopback TCP between two processes: the client here, the server in a
 * child. Case `echo` with JSON bodies of about 100 B and 10 KB at concurrency 1, 64 and 256.
 * Cases run payload by payload and concurrency by concurrency, every implementation in turn, so a
 * noisy machine skews all of them alike. micromesh runs as bench/peers/micromesh.ts (set
 * BENCH_MICROMESH_INSTANCES to change its server's instance actors); to add an implementation, add its
 * {@link RpcImpl} to `impls`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { makePayload } from '../fixtures/payload.ts';
import type { BenchContext } from '../lib/context.ts';
import { measure } from '../lib/measure.ts';
import type { RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import { micromeshImpl } from '../peers/micromesh.ts';
import { moleculerImpl } from '../peers/moleculer.ts';
import { rawTcpImpl } from '../peers/raw-tcp.ts';

/** Every implementation measured, in the order they run for each case. */
export const impls: readonly RpcImpl[] = [rawTcpImpl, moleculerImpl, micromeshImpl];

export const PAYLOAD_BYTES = [100, 10_240] as const;
export const CONCURRENCY = [1, 64, 256] as const;

interface Running {
  impl: RpcImpl;
  server: RpcServer;
  client: RpcClient;
}

async function start(ctx: BenchContext, impl: RpcImpl, running: Running[]): Promise<void> {
  const t0 = performance.now();
  const server = await impl.startServer();
  try {
    const client = await impl.createClient(server.address);
    running.push({ impl, server, client });
  } catch (err) {
    await server.stop();
    throw err;
  }
  ctx.log(`${impl.name}: server at ${server.address}, client connected in ${Math.round(performance.now() - t0)} ms`);
}

export default async function rpc(ctx: BenchContext): Promise<void> {
  await ctx.ensurePeerDeps();
  const running: Running[] = [];
  try {
    for (const impl of impls) await start(ctx, impl, running);
    for (const payloadBytes of PAYLOAD_BYTES) {
      const payload = makePayload(payloadBytes);
      const body = payload.value;
      ctx.log(`payload ${payloadBytes}: ${payload.typeName}, ${payload.jsonBytes} B as JSON`);
      // An echo that changes the body would make every number below meaningless.
      for (const { impl, client } of running) deepStrictEqual(await client.call(body), body, `${impl.name} echo`);
      for (const concurrency of CONCURRENCY) {
        for (const { impl, client } of running) {
          const row = await measure(ctx, { case: 'echo', impl: impl.name, concurrency, payloadBytes, op: () => client.call(body) });
          ctx.log(`  echo ${payloadBytes} B c=${concurrency} ${impl.name}: ${row.opsPerSec.toLocaleString('en-US')} ops/s`);
        }
      }
    }
  } finally {
    for (const { client, server } of running) {
      await client.close();
      await server.stop();
    }
  }
}
