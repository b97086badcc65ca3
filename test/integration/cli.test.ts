import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

const run = promisify(execFile);
const port = String(randomMdnsPort());
let server: Awaited<ReturnType<typeof startProcess>>;

const micro = (...args: string[]) => run(process.execPath, ['bin/micro.js', ...args, '--mdns-port', port], { timeout: 30_000 });

before(async () => {
  server = await startProcess('greeter-server.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'cli-srv' });
});
after(() => stopProcess(server.child));

test('cli — micro services lists what the registry knows', async () => {
  const { stdout } = await micro('services');
  assert.match(stdout, /^greeter\tlatest\t1 node\(s\)$/m);
  assert.doesNotMatch(stdout, /micromesh\.node/);
});

test('cli — micro call prints the reply as JSON', async () => {
  const { stdout } = await micro('call', 'greeter', 'Say.Hello', '{"name":"cli"}');
  assert.deepEqual(JSON.parse(stdout), { msg: 'Hello cli', servedBy: 'cli-srv' });
});

test('cli — a failure is a one-line message and a non-zero exit', async () => {
  const err = await micro('call', 'nowhere', 'Say.Hello').catch((e: { code: number; stderr: string }) => e);
  assert.equal((err as { code: number }).code, 1);
  assert.match((err as { stderr: string }).stderr, /^micro: MicroError 404 SERVICE_NOT_FOUND .*nowhere.*\n$/);
  const bad = await micro('call', 'greeter', 'Say.Hello', '{not json').catch((e: { code: number; stderr: string }) => e);
  assert.equal((bad as { code: number }).code, 1);
  assert.match((bad as { stderr: string }).stderr, /must be JSON/);
});

test('cli — bad flag values and unknown registries are one line and a non-zero exit', async () => {
  for (const args of [
    ['call', 'greeter', 'Say.Hello', '{}', '--timeout', 'abc'],
    ['call', 'greeter', 'Say.Hello', '{}', '--timeout', '-5'],
    ['services', '--registry', 'etcd'],
  ]) {
    const err = await micro(...args).catch((e: { code: number; stderr: string }) => e);
    assert.equal((err as { code: number }).code, 1, args.join(' '));
    assert.match((err as { stderr: string }).stderr, /^micro: .+\n$/, args.join(' '));
  }
});
