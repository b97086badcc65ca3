/**
 * HTTP → RPC through a gateway: POST of a ~100 B JSON body, answered with the same JSON, at 64 connections from
 * autocannon in its own process. Implementations, each in its own process: a bare node:http server answering the
 * JSON itself (`bare-http`, the ceiling), moleculer-web in front of Moleculer (`moleculer-web`) and micromesh's
 * API gateway (`micromesh`). Case `gateway`: the echo service lives in the gateway's process; case
 * `gateway-remote`: it runs in a further process, one TCP hop behind the gateway (bare-http has no such row).
 * Each row is the best of three interleaved rounds (see {@link measureCase}).
 */
import { randomInt } from 'node:crypto';
import { makePayload } from '../fixtures/payload.ts';
import { type LoadResult, runLoad } from '../lib/autocannon.ts';
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

const ROUNDS = 3;

interface Started {
  impl: GatewayImpl;
  url: string;
  children: ChildServer[];
  best?: LoadResult;
}

async function startChecked(impl: GatewayImpl, remote: boolean, body: string): Promise<Started> {
  const children = await impl.start(remote);
  const url = `http://127.0.0.1:${children[0]?.port}${PATH}`;
  const check = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await check.text();
  if (check.status !== 200 || JSON.stringify(JSON.parse(answer)) !== body) {
    for (const c of children) await c.stop();
    throw new Error(`${impl.name} answered ${check.status} ${answer.slice(0, 200)}`);
  }
  return { impl, url, children };
}

/**
 * Every implementation of a case is started, then measured in turn for {@link ROUNDS} rounds; each keeps its best
 * round. Interleaving and best-of keep a machine whose load swings from second to second from deciding the ratios.
 */
async function measureCase(ctx: BenchContext, caseName: string, list: readonly GatewayImpl[], remote: boolean, body: string): Promise<void> {
  const started: Started[] = [];
  try {
    for (const impl of list) started.push(await startChecked(impl, remote, body));
    for (const s of started) await runLoad({ url: s.url, body, connections: CONNECTIONS, durationMs: ctx.warmupMs });
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const s of started) {
        const r = await runLoad({ url: s.url, body, connections: CONNECTIONS, durationMs: ctx.durationOverrideMs ?? ctx.durationMs });
        if (r.failures > 0) throw new Error(`${s.impl.name}: ${r.failures} of ${r.requests} requests failed`);
        ctx.log(`${caseName} ${s.impl.name} round ${round + 1}: ${Math.round(r.opsPerSec)} req/s, p50 ${Math.round(r.p50us)} µs, p99 ${Math.round(r.p99us)} µs`);
        if (s.best === undefined || r.opsPerSec > s.best.opsPerSec) s.best = r;
      }
    }
    for (const s of started) {
      const r = s.best as LoadResult;
      ctx.record({ case: caseName, impl: s.impl.name, concurrency: CONNECTIONS, payloadBytes: body.length, opsPerSec: r.opsPerSec, p50us: r.p50us, p99us: r.p99us });
    }
  } finally {
    for (const s of started) for (const c of s.children) await c.stop();
  }
}

export default async function run(ctx: BenchContext): Promise<void> {
  await ctx.ensurePeerDeps();
  const body = JSON.stringify(makePayload(PAYLOAD_BYTES).value);
  await measureCase(ctx, 'gateway', impls, false, body);
  await measureCase(ctx, 'gateway-remote', impls.filter((i) => i.name !== 'bare-http'), true, body);
}
