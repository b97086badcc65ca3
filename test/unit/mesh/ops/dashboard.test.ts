import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import type { FeedMessage } from '../../../../src/mesh/ops/dashboard/feed.ts';
import { memoryMesh } from '../../../support/mesh.ts';

/** Opens ws://<ops>/<path>; resolves with the first message, or the HTTP status the upgrade was refused with. */
function watch(address: string, path: string, headers: Record<string, string> = {}): Promise<{ message?: FeedMessage; refused?: number; ws: WebSocket }> {
  const ws = new WebSocket(`ws://${address}${path}`, { headers });
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve({ message: JSON.parse(String(data)) as FeedMessage, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode, ws });
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

test('dashboard — the page is served at /, and /live streams every node’s report to a watcher', async () => {
  const mesh = memoryMesh();
  try {
    const a = await mesh.node('a', { ops: { address: '127.0.0.1:0' } });
    await mesh.node('b', { ops: {} });
    await mesh.node('c');
    const page = await fetch(`http://${a.ops.address}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /new WebSocket\(/);
    const { message, ws } = await watch(a.ops.address as string, '/live', { origin: `http://${a.ops.address}` });
    ws.close();
    assert.deepEqual(
      message?.nodes.map((n) => n.id),
      ['a', 'b', 'c'],
    );
    assert.equal(message?.nodes[0]?.report?.id, 'a');
    assert.equal(message?.nodes[1]?.report?.tree.path, '/');
    assert.match(message?.nodes[2]?.error ?? '', /^FORBIDDEN: inspection is off/, 'a node with operations off says so');
  } finally {
    await mesh.close();
  }
});

test('dashboard — a page from another origin cannot open the feed; other paths and a dashboard turned off are 404', async () => {
  const mesh = memoryMesh();
  try {
    const a = await mesh.node('a', { ops: { address: '127.0.0.1:0' } });
    const off = await mesh.node('off', { ops: { address: '127.0.0.1:0', dashboard: false } });
    assert.equal((await watch(a.ops.address as string, '/live', { origin: 'http://evil.example' })).refused, 403);
    assert.equal((await watch(a.ops.address as string, '/other')).refused, 404);
    assert.equal((await watch(off.ops.address as string, '/live')).refused, 404);
    assert.equal((await fetch(`http://${off.ops.address}/`)).status, 404);
  } finally {
    await mesh.close();
  }
});

test('dashboard — watchers past the limit are refused; a watcher that left frees its place', async () => {
  const mesh = memoryMesh();
  try {
    const a = await mesh.node('a', { ops: { address: '127.0.0.1:0' } });
    const open = await Promise.all(Array.from({ length: 16 }, () => watch(a.ops.address as string, '/live')));
    assert.ok(open.every((w) => w.message !== undefined));
    assert.equal((await watch(a.ops.address as string, '/live')).refused, 403);
    const first = open[0]?.ws as WebSocket;
    await new Promise((r) => {
      first.once('close', r);
      first.close();
    });
    const deadline = performance.now() + 5000;
    let again = await watch(a.ops.address as string, '/live');
    while (again.refused !== undefined && performance.now() < deadline) again = await watch(a.ops.address as string, '/live');
    assert.ok(again.message !== undefined, 'a new watcher is served once one has left');
    for (const w of [...open, again]) w.ws.terminate();
  } finally {
    await mesh.close();
  }
});
