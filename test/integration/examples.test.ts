import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { spawnUntil } from '../support/processes.ts';

const run = promisify(execFile);

test('examples — the README’s first actor runs and shows a restart with fresh state', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/first-actor.ts'], { timeout: 30_000 });
  assert.match(stdout, /children: mesh:\/\/node-\w+\/user\/app\/counter#\d+/);
  assert.match(stdout, /^1 0$/m);
});

test('examples — npm start: three processes, calls spread over two servers, one killed, every call succeeds', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo/main.ts'], { timeout: 60_000 });
  const spread = /20 calls spread over the servers: (\{.*\})/.exec(stdout);
  assert.ok(spread, stdout);
  const byNode = JSON.parse(spread[1] as string) as Record<string, number>;
  assert.deepEqual(Object.keys(byNode).sort(), ['server-a', 'server-b']);
  assert.match(stdout, /stream reply: Hello Barbara/);
  assert.match(stdout, /killing server-b with SIGKILL/);
  assert.match(stdout, /20 calls after the kill: \{"server-a":20\}, 0 failed/);
  assert.match(stdout, /demo finished: every call succeeded/);
});

test('examples — helloworld: the server and the client run as the README says', async () => {
  const server = await spawnUntil('examples/helloworld/server.ts', 'greeter serving on');
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/helloworld/client.ts'], { timeout: 30_000 });
    assert.deepEqual(stdout.trim().split('\n'), ['Hello Ada', 'Hello Grace', 'Hello Barbara']);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

test('examples — a startup error is one clear line on stderr and exit code 1, not a stack trace', async () => {
  const net = await import('node:net');
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    for (const env of [{ MICRO_ADDRESS: `127.0.0.1:${port}` }, { MICRO_REGISTRY: 'etcd' }, { MICRO_ADDRESS: 'not an address' }, { MICRO_TRANSPORT: 'carrier-pigeon://x' }]) {
      const err = await run(process.execPath, ['--import', 'tsx', 'examples/helloworld/server.ts'], { timeout: 30_000, env: { ...process.env, ...env } }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      assert.ok(err, `${JSON.stringify(env)}: the server started`);
      assert.equal(err.code, 1, JSON.stringify(env));
      const lines = err.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
      assert.equal(lines.length, 1, `${JSON.stringify(env)}: ${err.stderr}`);
      assert.match(lines[0] as string, /^helloworld server: MicroError \d{3} [A-Z_]+ /);
    }
  } finally {
    busy.close();
  }
});
