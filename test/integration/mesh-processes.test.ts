import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createNode, type MeshNode, MicroError } from '../../src/index.ts';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';
import { waitUntilAsync } from '../support/wait.ts';

// Real processes on 127.0.0.1: TCP transport and the mDNS registry on the loopback interface (a random port).
const port = randomMdnsPort();
let client: MeshNode;
const servers: Awaited<ReturnType<typeof startProcess>>[] = [];

before(async () => {
  for (const id of ['srv-a', 'srv-b']) servers.push(await startProcess('greeter-server.ts', { TEST_MDNS_PORT: String(port), TEST_NODE_ID: id }));
  client = await createNode({ id: 'test-client', mdns: { port } });
});
after(async () => {
  await client?.stop();
  await Promise.all(servers.map((s) => stopProcess(s.child)));
});

function waitForNodes(n: number): Promise<void> {
  const count = () => client.registry.getService('greeter').then((s) => s.flatMap((v) => v.nodes).length, () => 0);
  return waitUntilAsync(async () => (await count()) >= n, 10_000, `${n} greeter nodes`);
}

test('processes — calls find both servers over mDNS and TCP and spread across them', async () => {
  await waitForNodes(2);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = await client.client.call<{ msg: string; servedBy: string }>('greeter', 'Say.Hello', { name: 'Ada' }, { selector: 'round-robin' });
    assert.equal(r.msg, 'Hello Ada');
    seen.add(r.servedBy);
  }
  assert.deepEqual([...seen].sort(), ['srv-a', 'srv-b']);
  assert.match(client.address, /^127\.0\.0\.1:\d+$/, 'safe by default: bound to loopback');
});

test('processes — a bidirectional stream and a remote actor ask cross the TCP connection', async () => {
  await waitForNodes(2);
  const stream = await client.client.stream<string, { msg: string }>('greeter', 'Say.Stream');
  for (const name of ['a', 'b', 'c']) await stream.send(name);
  stream.closeSend();
  assert.deepEqual((await stream.collect()).map((r) => r.msg), ['Hello a', 'Hello b', 'Hello c']);
  const adder = client.ref<{ a: number; b: number }>('mesh://srv-a/user/adder');
  const reply = (await adder.ask({ a: 2, b: 40 }, { timeoutMs: 5000 })) as { sum: number; self: typeof adder };
  assert.equal(reply.sum, 42);
  const again = (await reply.self.ask({ a: 1, b: 1 }, { timeoutMs: 5000 })) as { sum: number };
  assert.equal(again.sum, 2, 'the ref inside the reply can be asked in turn');
});

test('processes — an unknown service is a 404 within one mDNS query window', async () => {
  const started = performance.now();
  const err = await client.client.call('no-such-service', 'Say.Hello', {}, { timeoutMs: 10_000 }).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  assert.ok(err instanceof MicroError);
  assert.equal(err.reason, 'SERVICE_NOT_FOUND');
  assert.match(err.detail, /no-such-service/);
  assert.ok(elapsed <= 300, `took ${elapsed.toFixed(0)} ms (query window 200 ms)`);
});

test('processes — random bytes on a server’s port close that connection; the server keeps serving', async () => {
  await waitForNodes(2);
  const address = servers[0]?.ready.split(' ')[2] as string;
  const [host, p] = address.split(':');
  await new Promise<void>((resolve) => {
    const sock = connect({ host, port: Number(p) }, () => {
      sock.write(Buffer.from([0, 0, 0, 12, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]));
    });
    sock.resume(); // read what the server sends (its hello), so the close is seen
    sock.on('close', () => resolve());
    sock.on('error', () => {});
  });
  const r = await client.client.call<{ servedBy: string }>('greeter', 'Say.Hello', { name: 'x' }, { selector: { select: (nodes) => nodes.find((n) => n.address === address) } });
  assert.equal(r.servedBy, servers[0]?.ready.split(' ')[1]);
});

test('processes — SIGKILL of a server under 200 calls/s: only calls in flight on it fail (503), none after 1 s', async () => {
  await waitForNodes(2);
  const victim = servers[1] as Awaited<ReturnType<typeof startProcess>>;
  const results: Array<{ at: number; ok: boolean; code?: number }> = [];
  const calls: Promise<void>[] = [];
  let killedAt = Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  for (let i = 0; i < 500; i++) {
    const at = performance.now() - t0;
    if (i === 200) {
      killedAt = at;
      victim.child.kill('SIGKILL');
    }
    calls.push(
      client.client.call('greeter', 'Say.Hello', { name: `n${i}`, delayMs: 20 }, { timeoutMs: 3000, retries: 2 }).then(
        () => void results.push({ at, ok: true }),
        (e: unknown) => void results.push({ at, ok: false, code: (e as MicroError).code }),
      ),
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(calls);
  const failures = results.filter((r) => !r.ok);
  assert.ok(failures.every((f) => f.code === 503), `failures other than 503: ${JSON.stringify(failures)}`);
  const late = failures.filter((f) => f.at > killedAt + 1000);
  assert.deepEqual(late, [], 'a call issued more than 1 s after the kill failed');
  assert.ok(results.filter((r) => r.ok).length >= 480, `only ${results.filter((r) => r.ok).length} of 500 succeeded`);
  const elapsedS = (performance.now() - t0) / 1000;
  assert.ok(500 / elapsedS >= 100, 'the load was not near 200 calls/s');
});
