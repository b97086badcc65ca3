import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { MeshNode } from '../../../../src/mesh/node.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { memoryMesh } from '../../../support/mesh.ts';

function http(node: MeshNode, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string | undefined }> {
  const [host, port] = (node.ops.address as string).split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Prometheus text samples: `name{labels} value`, labels as a record. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) labels[k as string] = v as string;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

const echo = defineService({
  name: 'echo',
  endpoints: {
    'Echo.Call': (req: unknown) => req,
    'Echo.Fail': () => {
      throw new MicroError('FORBIDDEN', 'no');
    },
  },
});

test('ops port — /metrics counts calls by service, endpoint and status on both sides, with no ids in labels', async () => {
  const mesh = memoryMesh();
  try {
    const b = await mesh.node('b', { ops: { address: '127.0.0.1:0' } });
    await b.serve(echo);
    const a = await mesh.node('a', { ops: { address: '127.0.0.1:0' } });
    for (let i = 0; i < 5; i++) await a.client.call('echo', 'Echo.Call', { i });
    await assert.rejects(a.client.call('echo', 'Echo.Fail', {}));
    const client = await http(a, '/metrics');
    assert.equal(client.status, 200);
    assert.match(client.type ?? '', /^text\/plain/);
    const counts = samples(client.body, 'rpc_client_call_duration_seconds_count');
    assert.deepEqual(counts, [
      { labels: { service: 'echo', endpoint: 'Echo.Call', status: 'OK' }, value: 5 },
      { labels: { service: 'echo', endpoint: 'Echo.Fail', status: 'FORBIDDEN' }, value: 1 },
    ]);
    const server = samples((await http(b, '/metrics')).body, 'rpc_server_call_duration_seconds_count');
    assert.deepEqual(server, [
      { labels: { service: 'echo', endpoint: 'Echo.Call', status: 'OK' }, value: 5 },
      { labels: { service: 'echo', endpoint: 'Echo.Fail', status: 'FORBIDDEN' }, value: 1 },
    ]);
    assert.ok(!/node-|"a"|"b"/.test(client.body.split('\n').filter((l) => !l.startsWith('#')).join('\n')), 'no node ids in labels');
    assert.ok((samples(client.body, 'mesh_connections')[0]?.value ?? 0) >= 1, 'the connection to b (and b dialing back, perhaps)');
    assert.ok((samples(client.body, 'registry_services')[0]?.value ?? 0) >= 2, 'the node service and echo');
    assert.notEqual(a.ops.metrics, b.ops.metrics, 'each node has its own registry');
  } finally {
    await mesh.close();
  }
});

test('ops port — live is 200; ready is 200, then 503 with the failing critical check, and a non-critical one does not count', async () => {
  const mesh = memoryMesh();
  try {
    const node = await mesh.node('h', { ops: { address: '127.0.0.1:0' } });
    assert.equal((await http(node, '/health/live')).status, 200);
    const ok = await http(node, '/health/ready');
    assert.equal(ok.status, 200, ok.body);
    let dbUp = true;
    node.health.addCheck('db', () => dbUp);
    const removeCache = node.health.addCheck('cache', () => Promise.reject(new Error('cache down')), { critical: false });
    assert.equal((await http(node, '/health/ready')).status, 200);
    dbUp = false;
    const failing = await http(node, '/health/ready');
    assert.equal(failing.status, 503);
    const body = JSON.parse(failing.body) as { checks: Record<string, { ok: boolean; critical: boolean; error?: string }> };
    assert.deepEqual(body.checks.db, { ok: false, critical: true, error: 'check returned false' });
    assert.deepEqual(body.checks.cache, { ok: false, critical: false, error: 'cache down' });
    assert.equal(body.checks.registered?.ok, true);
    removeCache();
    assert.equal((await http(node, '/health/live')).status, 200, 'live stays 200');
  } finally {
    await mesh.close();
  }
});

test('ops port — a draining node is not ready while its calls finish, and live stays 200', async () => {
  const mesh = memoryMesh();
  let release!: () => void;
  let began!: () => void;
  const started = new Promise<void>((r) => {
    began = r;
  });
  const slow = defineService({
    name: 'slow',
    endpoints: {
      'Slow.Wait': () => {
        began();
        return new Promise<string>((r) => {
          release = () => r('done');
        });
      },
    },
  });
  try {
    const b = await mesh.node('b', { ops: { address: '127.0.0.1:0' } });
    await b.serve(slow);
    const a = await mesh.node('a');
    const call = a.client.call('slow', 'Slow.Wait', {});
    await started;
    const stopping = b.stop();
    const ready = await http(b, '/health/ready');
    assert.equal(ready.status, 503);
    const checks = (JSON.parse(ready.body) as { checks: Record<string, { ok: boolean }> }).checks;
    assert.equal(checks.registered?.ok, false);
    assert.equal((await http(b, '/health/live')).status, 200);
    release();
    assert.equal(await call, 'done');
    await stopping;
  } finally {
    await mesh.close();
  }
});

test('ops port — unknown path 404, wrong method 405', async () => {
  const mesh = memoryMesh();
  try {
    const node = await mesh.node('x', { ops: { address: '127.0.0.1:0' } });
    assert.equal((await http(node, '/nope')).status, 404);
    assert.equal((await http(node, '/metrics', 'POST')).status, 405);
    assert.match(node.ops.address ?? '', /^127\.0\.0\.1:\d+$/);
  } finally {
    await mesh.close();
  }
});

test('ops port — off by default: no address, no metrics registry', async () => {
  const mesh = memoryMesh();
  try {
    const node = await mesh.node('off');
    assert.equal(node.ops.address, undefined);
    assert.equal(node.ops.metrics, undefined);
    assert.equal((await node.health.readiness()).ready, true);
  } finally {
    await mesh.close();
  }
});
