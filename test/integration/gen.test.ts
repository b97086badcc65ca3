import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createNode, type MeshNode } from '../../src/index.ts';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
// Under the repo, so that the generated `import … from 'micromesh'` resolves in the child and here.
const out = join(repo, '.gen-test', `cli-${process.pid}`);
const micro = (...args: string[]) => run(process.execPath, ['bin/micro.js', ...args], { cwd: repo, timeout: 30_000 });
const failure = (...args: string[]) => micro(...args).then(
  () => assert.fail(`micro ${args.join(' ')} succeeded`),
  (e: { code: number; stderr: string }) => e,
);

before(() => mkdirSync(out, { recursive: true }));
after(() => rmSync(out, { recursive: true, force: true }));

test('gen cli — micro gen writes one module per .proto and import, and lists them', async () => {
  const dir = join(out, 'shop');
  const { stdout } = await micro('gen', 'test/fixtures/gen/shop/orders.proto', '--out', dir, '-I', 'test/fixtures/gen');
  const lines = stdout.trim().split('\n');
  assert.ok(lines.includes('shop/orders.ts') && lines.includes('shop/common/money.ts') && lines.includes('google/protobuf/timestamp.ts'), stdout);
  for (const path of lines) assert.ok(existsSync(join(dir, path)), path);
});

test('gen cli — a syntax error is file:line:column on one line and exit 1', async () => {
  const err = await failure('gen', 'test/fixtures/gen/bad/syntax.proto', '--out', join(out, 'bad'));
  assert.equal(err.code, 1);
  assert.equal(err.stderr, "micro: test/fixtures/gen/bad/syntax.proto:6:3: illegal token 'strng$'\n");
});

test('gen cli — an unresolved import names the import and the include roots, exit 1', async () => {
  const err = await failure('gen', 'test/fixtures/gen/bad/import.proto', '--out', join(out, 'bad'), '-I', 'test/fixtures/gen', '-I', 'test/fixtures');
  assert.equal(err.code, 1);
  assert.match(err.stderr, /^micro: test\/fixtures\/gen\/bad\/import\.proto: cannot resolve import "nowhere\/missing\.proto" \(include roots tried: test\/fixtures\/gen, test\/fixtures\)\n$/);
  const missing = await failure('gen', 'test/fixtures/gen/nope.proto', '--out', join(out, 'bad'));
  assert.match(missing.stderr, /^micro: test\/fixtures\/gen\/nope\.proto: no such file\n$/);
  const noOut = await failure('gen', 'test/fixtures/gen/greeter.proto');
  assert.equal(noOut.code, 1);
  assert.match(noOut.stderr, /--out/);
});

interface HelloReply {
  message?: string;
}
interface GreeterClient {
  sayHello(request: { name?: string }): Promise<HelloReply>;
  sayMany(request: { name?: string; times?: number }): AsyncIterable<HelloReply>;
}
interface GreeterModule {
  GreeterClient: new (node: MeshNode) => GreeterClient;
}

test('gen cli — a generated client calls a generated server in another process over mDNS', async () => {
  const dir = join(out, 'greeter');
  await micro('gen', 'test/fixtures/gen/greeter.proto', '--out', dir);
  const port = randomMdnsPort();
  const server = await startProcess('gen/greeter-server.ts', { TEST_MDNS_PORT: String(port), GEN_DIR: dir });
  let node: MeshNode | undefined;
  try {
    node = await createNode({ id: 'gen-client', mdns: { port } });
    const { GreeterClient } = (await import(pathToFileURL(join(dir, 'greeter.ts')).href)) as GreeterModule;
    const greeter = new GreeterClient(node);
    assert.deepEqual(await greeter.sayHello({ name: 'Ada' }), { message: 'Hello Ada from gen-srv' });
    const replies: HelloReply[] = [];
    for await (const reply of greeter.sayMany({ name: 'Bo', times: 3 })) replies.push(reply);
    assert.deepEqual(replies, [{ message: '1: Hello Bo' }, { message: '2: Hello Bo' }, { message: '3: Hello Bo' }]);
  } finally {
    await node?.stop();
    await stopProcess(server.child);
  }
});
