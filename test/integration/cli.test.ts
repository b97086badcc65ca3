import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Ran, runMicro } from '../support/cli.ts';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

const port = String(randomMdnsPort());
let server: Awaited<ReturnType<typeof startProcess>>;

/** Runs bin/micro.js against the test's mDNS port; stdin is `input` then EOF (`null`: stdin stays open). */
function micro(args: string[], input: string | null = ''): Promise<Ran> {
  return runMicro([...args, '--mdns-port', port], input);
}

async function ok(args: string[], input?: string): Promise<string> {
  const ran = await micro(args, input);
  assert.equal(ran.code, 0, `micro ${args.join(' ')}\n${ran.stderr}`);
  return ran.stdout;
}

before(async () => {
  server = await startProcess('greeter-server.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'cli-srv' });
});
after(() => stopProcess(server.child));

test('cli — micro services lists what the registry knows', async () => {
  const stdout = await ok(['services']);
  assert.match(stdout, /^greeter\tlatest\t1 node\(s\)$/m);
  assert.doesNotMatch(stdout, /micromesh\.node/);
});

test('cli — micro services --output json is an array of {name, version, nodes}, without the CLI node', async () => {
  const services = JSON.parse(await ok(['services', '--output', 'json', '--all'])) as { name: string; version: string; nodes: { id: string }[] }[];
  const greeter = services.find((s) => s.name === 'greeter');
  assert.deepEqual(greeter && { name: greeter.name, version: greeter.version, ids: greeter.nodes.map((n) => n.id) }, { name: 'greeter', version: 'latest', ids: ['cli-srv'] });
  const ids = services.flatMap((s) => s.nodes.map((n) => n.id));
  assert.ok(ids.every((id) => !id.startsWith('micro-cli-')), JSON.stringify(ids));
  assert.ok(ids.includes('cli-srv'), 'the server node is listed under micromesh.node with --all');
});

test('cli — micro services on an empty registry says so and exits 0', async () => {
  assert.equal(await ok(['services', '--registry', 'memory', '--transport', 'memory']), 'no services found\n');
  assert.equal(await ok(['services', '--registry', 'memory', '--transport', 'memory', '--all', '--output', 'json']), '[]\n');
});

test('cli — micro describe --output json is one line holding the endpoints and the server node', async () => {
  const stdout = await ok(['describe', 'greeter', '--output', 'json']);
  assert.equal(stdout.trim().split('\n').length, 1);
  const [version] = JSON.parse(stdout) as { endpoints: { name: string }[]; nodes: { id: string }[] }[];
  assert.deepEqual(version?.endpoints.map((e) => e.name).sort(), ['Say.Hello', 'Say.Stream']);
  assert.deepEqual(version?.nodes.map((n) => n.id), ['cli-srv']);
});

test('cli — micro call prints the reply as JSON', async () => {
  assert.deepEqual(JSON.parse(await ok(['call', 'greeter', 'Say.Hello', '{"name":"cli"}'])), { msg: 'Hello cli', servedBy: 'cli-srv' });
  assert.equal(await ok(['call', 'greeter', 'Say.Hello', '{"name":"j"}', '--output', 'json']), '{"msg":"Hello j","servedBy":"cli-srv"}\n');
});

test('cli — micro call reads the request from stdin for - and for no argument', async () => {
  assert.deepEqual(JSON.parse(await ok(['call', 'greeter', 'Say.Hello', '-'], '{"name":"dash"}\n')), { msg: 'Hello dash', servedBy: 'cli-srv' });
  assert.deepEqual(JSON.parse(await ok(['call', 'greeter', 'Say.Hello'], '{"name":"piped"}')), { msg: 'Hello piped', servedBy: 'cli-srv' });
  const bad = await micro(['call', 'greeter', 'Say.Hello'], '{nope');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^micro: .*the request must be JSON.*\n$/);
});

test('cli — micro stream sends each stdin line and prints each reply as a JSON line', async () => {
  const stdout = await ok(['stream', 'greeter', 'Say.Stream'], '"Ada"\n\n"Bo"\n"Cy"\n');
  assert.deepEqual(
    stdout.trim().split('\n').map((l) => JSON.parse(l)),
    ['Ada', 'Bo', 'Cy'].map((n) => ({ msg: `Hello ${n}`, servedBy: 'cli-srv' })),
  );
});

test('cli — micro stream: a line that is not JSON is one line naming it, exit 1', async () => {
  const ran = await micro(['stream', 'greeter', 'Say.Stream'], '"Ada"\n{oops\n"Bo"\n');
  assert.equal(ran.code, 1);
  assert.match(ran.stderr, /^micro: Error: stdin line 2 is not JSON: .+\n$/);
});

test('cli — a failure is a one-line message and a non-zero exit', async () => {
  const err = await micro(['call', 'nowhere', 'Say.Hello', '{}']);
  assert.equal(err.code, 1);
  assert.match(err.stderr, /^micro: MicroError 404 SERVICE_NOT_FOUND .*nowhere.*\n$/);
  const bad = await micro(['call', 'greeter', 'Say.Hello', '{not json']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /must be JSON/);
  const stream = await micro(['stream', 'nowhere', 'Say.Stream'], '"x"\n');
  assert.equal(stream.code, 1);
  assert.match(stream.stderr, /^micro: MicroError 404 SERVICE_NOT_FOUND .*nowhere.*\n$/);
});

test('cli — past --timeout, call and stream fail with one line: a TIMEOUT MicroError', async () => {
  const call = await micro(['call', 'greeter', 'Say.Hello', '{"name":"slow","delayMs":5000}', '--timeout', '500']);
  assert.equal(call.code, 1);
  assert.match(call.stderr, /^micro: MicroError 408 TIMEOUT .+\n$/);
  const stream = await micro(['stream', 'greeter', 'Say.Stream', '--timeout', '1000'], null);
  assert.equal(stream.code, 1);
  assert.equal(stream.stdout, '{"msg":"Hello open","servedBy":"cli-srv"}\n');
  assert.match(stream.stderr, /^micro: MicroError 408 TIMEOUT .+\n$/);
});

test('cli — bad flag values and unknown registries are one line and a non-zero exit', async () => {
  for (const args of [
    ['call', 'greeter', 'Say.Hello', '{}', '--timeout', 'abc'],
    ['call', 'greeter', 'Say.Hello', '{}', '--timeout', '-5'],
    ['stream', 'greeter', 'Say.Stream', '--timeout', 'abc'],
    ['stream', 'greeter', 'Say.Stream', '--timeout', '0'],
    ['services', '--timeout', '-5'],
    ['services', '--output', 'xml'],
    ['services', '--registry', 'etcd'],
  ]) {
    const err = await micro(args);
    assert.equal(err.code, 1, args.join(' '));
    assert.match(err.stderr, /^micro: .+\n$/, args.join(' '));
  }
});

test('cli — every command has an example in its --help', async () => {
  for (const command of ['new', 'run', 'services', 'describe', 'call', 'stream', 'gen']) {
    const stdout = await ok([command, '--help']);
    assert.match(stdout, /Examples:\n {2}\$ .*\bmicro /, command);
  }
});
