/**
 * HTTP load from another process: autocannon (a bench/peers dependency) run as a child with `--json`, so the load
 * generator never shares an event loop with the server it measures.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PEERS_DIR } from './peer-deps.ts';

const exec = promisify(execFile);

export interface LoadSpec {
  url: string;
  body: string;
  connections: number;
  durationMs: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  /** Answers that were not 2xx, plus connection errors and timeouts. */
  failures: number;
}

interface AutocannonJson {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** Runs autocannon against `spec.url` (POST with the body) and reads its JSON summary. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const headers = { 'content-type': 'application/json', ...spec.headers };
  const args = [
    `${PEERS_DIR}node_modules/autocannon/autocannon.js`,
    '--json',
    '-c',
    String(spec.connections),
    '-d',
    String(Math.max(1, Math.round(spec.durationMs / 1000))),
    '-m',
    'POST',
    '-b',
    spec.body,
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]),
    spec.url,
  ];
  const { stdout } = await exec(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: spec.durationMs + 30_000 });
  const r = JSON.parse(stdout) as AutocannonJson;
  return {
    requests: r.requests.total,
    opsPerSec: r.requests.total / r.duration,
    p50us: r.latency.p50 * 1000,
    p99us: r.latency.p99 * 1000,
    failures: r.non2xx + r.errors + r.timeouts,
  };
}
