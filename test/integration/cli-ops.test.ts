// `micro health`, `micro inspect` and `micro dashboard` against real node processes on a private mDNS port.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { randomMdnsPort, runMicro, startProcess, stopProcess } from '../support/processes.ts';

const port = String(randomMdnsPort());
const children: ChildProcess[] = [];

const micro = (args: string[]) => runMicro([...args, '--mdns-port', port]);

before(async () => {
  const started = await Promise.all([
    startProcess('ops-node.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'ops-ok', TEST_SERVICE: 'greeter', MICRO_OPS_INSPECT: 'true' }),
    startProcess('ops-node.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'ops-bad', TEST_SERVICE: 'billing', TEST_UNHEALTHY: '1' }),
  ]);
  children.push(...started.map((s) => s.child));
});
after(async () => {
  await Promise.all(children.map((c) => stopProcess(c)));
});

test('cli health — every node of the mesh with its status; exit 1 with one line when any is not ready', async () => {
  const ran = await micro(['health']);
  assert.equal(ran.code, 1, ran.stderr);
  assert.match(ran.stdout, /^ops-ok\t\S+\tready$/m);
  assert.match(ran.stdout, /^ops-bad\t\S+\tnot ready\tdb: connection refused$/m);
  assert.doesNotMatch(ran.stdout, /micro-cli-/, 'not the command’s own node');
  assert.equal(ran.stderr, 'micro: 1 of 2 node(s) not ready\n');
});

test('cli health — the nodes of one service, as JSON; exit 0 when all are ready', async () => {
  const ran = await micro(['health', 'greeter', '--output', 'json']);
  assert.equal(ran.code, 0, ran.stderr);
  const nodes = JSON.parse(ran.stdout) as { id: string; ready: boolean; checks: Record<string, { ok: boolean }> }[];
  assert.deepEqual(
    nodes.map((n) => [n.id, n.ready]),
    [['ops-ok', true]],
  );
  assert.equal(nodes[0]?.checks.registered?.ok, true);
});

test('cli health — an unknown service and a bad --timeout are one line and exit 1', async () => {
  const unknown = await micro(['health', 'nosuch']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'micro: Error: unknown service "nosuch": no node serves it\n');
  const bad = await micro(['health', '--timeout', 'abc']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr.split('\n').length, 2);
  assert.match(bad.stderr, /--timeout wants a positive number/);
});

test('cli inspect — the live actor tree with mailbox depths and restart counts', async () => {
  const ran = await micro(['inspect', 'ops-ok']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^node ops-ok {2}\S+ {2}\d+ actors {2}\d+ dead letters$/m);
  assert.match(ran.stdout, /^service greeter latest: Say\.Hello$/m);
  assert.match(ran.stdout, /^ {4}crashy +actor +running +mailbox +0 {2}restarts 1$/m);
  assert.match(ran.stdout, /^ {6}registry-watch +ComponentActor +running +mailbox +0 {2}restarts 0$/m);
  const json = JSON.parse((await micro(['inspect', 'ops-ok', '--output', 'json'])).stdout) as { id: string; tree: { children: { path: string }[] } };
  assert.equal(json.id, 'ops-ok');
  assert.deepEqual(
    json.tree.children.map((c) => c.path),
    ['/user', '/system'],
  );
});

test('cli inspect — an unknown node, and a node with inspection off, are one line and exit 1', async () => {
  const ghost = await micro(['inspect', 'ghost']);
  assert.equal(ghost.code, 1);
  assert.equal(ghost.stderr, 'micro: Error: no node "ghost" in the registry (micro health lists the nodes)\n');
  const off = await micro(['inspect', 'ops-bad']);
  assert.equal(off.code, 1);
  assert.equal(off.stderr.split('\n').length, 2, off.stderr);
  assert.match(off.stderr, /^micro: .*inspection is off on node ops-bad/);
});

test('cli dashboard — serves the page until SIGTERM', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ['bin/micro.js', 'dashboard', '--address', '127.0.0.1:0', '--mdns-port', port], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`micro dashboard exited with ${code}`)));
  });
  const url = /^dashboard at (http:\/\/127\.0\.0\.1:\d+\/) /.exec(line)?.[1];
  assert.ok(url, line);
  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>micromesh · micro-dashboard-\d+<\/title>/);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
