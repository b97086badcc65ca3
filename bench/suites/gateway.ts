/**
 * HTTP → RPC through a gateway: POST of a ~100 B JSON body, answered with the same JSON, at 64 connections from
 * autocannon in its own process. Implementations, each in its own process: a bare node:http server answering the
 * JSON itself (`bare-http`, the ceiling), moleculer-web in front of Moleculer (`moleculer-web`) and micromesh's
 * API gateway (`micromesh`). Case `gateway`: the echo service lives in the gateway's process; case
 * `gateway-remote`: it runs in a further process, one TCP hop behind the gateway (bare-http has no such row).
 */
import { randomInt } from 'node:crypto';
import { makePayload } from '../fixtures/payload.ts';
import { runLoad } from '../lib/autocannon.ts';
import { type ChildServer, spawnTsx } from '../lib/child-process.ts';
import type { BenchContext } from '../lib/context.ts';

export const CONNECTIONS = 64;
export const PAYLOAD_BYTES = 100;
const PATH = '/echo/Echo.Call';

interface GatewayImpl {
  name: string;
  /** Starts the implementation's processes; the first is the HTTP server. */
  start(remote: boolean): Promise<ChildServer[]>;
}

const peer = (file: string) => new URL(`../peers/${file}`, import.meta.url).pathname;

const impls: readonly GatewayImpl[] = [
  { name: 'bare-http', start: async () => [await spawnTsx(peer('http-bare-server.ts'))] },
  {
    name: 'moleculer-web',
    start: async (remote) => {
      if (!remote) return [await spawnTsx(peer('moleculer-web-server.ts'))];
      const echo = await spawnTsx(peer('moleculer-server.ts'));
      return [await spawnTsx(peer('moleculer-web-server.ts'), { args: ['--remote', String(echo.port)] }), echo];
    },
  },
  {
    name: 'micromesh',
    start: async (remote) => {
      if (!remote) return [await spawnTsx(peer('gateway-micromesh.ts'))];
      const env = { ...process.env, MICRO_MDNS_PORT: String(randomInt(20_000, 40_000)) };
      const echo = await spawnTsx(peer('gateway-echo-node.ts'), { env });
      return [await spawnTsx(peer('gateway-micromesh.ts'), { args: ['--remote'], env }), echo];
    },
  },
];

async function measureCase(ctx: BenchContext, caseName: string, impl: GatewayImpl, remote: boolean, body: string): Promise<void> {
  const children = await impl.start(remote);
  try {
    const url = `http://127.0.0.1:${children[0]?.port}${PATH}`;
    const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = await check.text();
    if (check.status !== 200 || JSON.stringify(JSON.parse(answer)) !== body) throw new Error(`${impl.name} answered ${check.status} ${answer.slice(0, 200)}`);
    await runLoad({ url, body, connections: CONNECTIONS, durationMs: ctx.warmupMs });
    const r = await runLoad({ url, body, connections: CONNECTIONS, durationMs: ctx.durationOverrideMs ?? ctx.durationMs });
    if (r.failures > 0) throw new Error(`${impl.name}: ${r.failures} of ${r.requests} requests failed`);
    ctx.record({ case: caseName, impl: impl.name, concurrency: CONNECTIONS, payloadBytes: body.length, opsPerSec: r.opsPerSec, p50us: r.p50us, p99us: r.p99us });
    ctx.log(`${caseName} ${impl.name}: ${Math.round(r.opsPerSec)} req/s, p50 ${Math.round(r.p50us)} µs, p99 ${Math.round(r.p99us)} µs`);
  } finally {
    for (const c of children) await c.stop();
  }
}

export default async function run(ctx: BenchContext): Promise<void> {
  await ctx.ensurePeerDeps();
  const body = JSON.stringify(makePayload(PAYLOAD_BYTES).value);
  for (const impl of impls) await measureCase(ctx, 'gateway', impl, false, body);
  for (const impl of impls.filter((i) => i.name !== 'bare-http')) await measureCase(ctx, 'gateway-remote', impl, true, body);
}
