import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { spawnUntil } from '../support/processes.ts';

const run = promisify(execFile);
const DIR = '.readme-blocks';

/** Every ```ts block of the README, by the file name its first line gives (`// server.ts`). */
async function readmeBlocks(): Promise<Map<string, string>> {
  const text = await readFile('README.md', 'utf8');
  const blocks = new Map<string, string>();
  for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
    const code = m[1] as string;
    const name = /^\/\/ ([\w-]+\.ts)\n/.exec(code)?.[1];
    assert.ok(name, `a README block does not start with its file name:\n${code.slice(0, 200)}`);
    assert.ok(!blocks.has(name), `two README blocks are named ${name}`);
    blocks.set(name, code);
  }
  return blocks;
}

let blocks: Map<string, string>;
before(async () => {
  blocks = await readmeBlocks();
  await mkdir(DIR, { recursive: true });
  for (const [name, code] of blocks) await writeFile(`${DIR}/${name}`, code);
});
after(() => rm(DIR, { recursive: true, force: true }));

const runBlock = (name: string) => run(process.execPath, ['--import', 'tsx', `${DIR}/${name}`], { timeout: 30_000 });

test('readme — every TypeScript block is a program a test runs', () => {
  // Each block is run by a test in one of the readme*.test.ts files, by name.
  const tests = readdirSync(fileURLToPath(new URL('.', import.meta.url)))
    .filter((f) => /^readme.*\.test\.ts$/.test(f))
    .map((f) => readFileSync(fileURLToPath(new URL(f, import.meta.url)), 'utf8'))
    .join('\n');
  for (const name of blocks.keys()) assert.ok(tests.includes(`'${name}'`) || tests.includes(`/${name}`), `no test runs the README block ${name}`);
});

test('readme — the first actor restarts with fresh state', async () => {
  const { stdout } = await runBlock('first-actor.ts');
  assert.match(stdout, /^1 0$/m);
});

test('readme — the server and client blocks talk across two processes', async () => {
  const server = await spawnUntil(`${DIR}/server.ts`, 'greeter serving on');
  try {
    const { stdout } = await runBlock('client.ts');
    assert.deepEqual(stdout.trim().split('\n'), ['Hello Ada', 'Hello Grace']);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

test('readme — actors across nodes, middleware and plugins run as shown', async () => {
  assert.match((await runBlock('remote-actors.ts')).stdout, /^2 \+ 3 = 5$/m);
  const mw = (await runBlock('middleware.ts')).stdout;
  assert.match(mw, /^clock Clock\.Now took [\d.]+ ms$/m);
  assert.match(mw, /^now is \d{4}-\d\d-\d\dT/m);
  const plugins = (await runBlock('plugins.ts')).stdout;
  assert.match(plugins, /^lab registry for lab:\/\/bench-7$/m);
  assert.match(plugins, /^registry: memory$/m);
});

test('readme — the operations block serves metrics and readiness as shown', async () => {
  const lines = (await runBlock('operations.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['rpc_server_call_duration_seconds_count{service="clock",endpoint="Clock.Now",status="OK"} 1', 'ready 200', 'ready 503']);
});

test('readme — the simulated clock block times a call out without waiting', async () => {
  const started = performance.now();
  const { stdout } = await runBlock('simulated-clock.ts');
  assert.equal(stdout.trim(), '408 TIMEOUT handler aborted');
  assert.ok(performance.now() - started < 25_000, 'the 30 s deadline passed on the simulated clock');
});

test('readme — the inspect block shows the crashed actor’s restart and the node’s readiness', async () => {
  const lines = (await runBlock('inspect.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['/user/services running mailbox 0 restarts 0', '/user/crashy running mailbox 0 restarts 1', 'worker ready: true']);
});

test('readme — the locks block holds, times out a second try, then leads', async () => {
  const lines = (await runBlock('locks.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['held with token 1; a second try: LOCK_TIMEOUT', 'leading with token 1']);
});

test('readme — the reminders block fires three times, then cancels', async () => {
  const lines = (await runBlock('reminders.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['reminder tick: tock', 'reminder tick: tock', 'reminder tick: tock']);
});

test('readme — the config block scans with a schema and sees a save by rename', async () => {
  const lines = (await runBlock('config.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ["{ host: 'localhost', port: 5432, poolSize: 4 }", 'db.port is now 6432']);
});

test('readme — the auth block grants, denies with 403s naming the rule, and lets public and user-token calls through', async () => {
  const lines = (await runBlock('auth.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, [
    'billing credit: {"ok":5}',
    'billing drop: 403 service billing may not call ledger Ledger.Drop: denied by rule no-drops',
    'reports credit: 403 service reports may not call ledger Ledger.Credit: no rule grants it',
    'reports health: "ok"',
    'ada credit: {"ok":1}',
  ]);
});

test('readme — the events block bills one order and dead-letters the other', async () => {
  const lines = (await runBlock('events.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['billed order 1 at sequence 1', 'dead letter from orders.placed: delivered 2 times (maxDeliver 2); last error: negative total']);
});

test('readme — the gateway block answers a go-micro path, a 404 and an MCP tool list', async () => {
  const lines = (await runBlock('gateway.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines, ['200 {"msg":"Hello Ada"}', '404 SERVICE_NOT_FOUND', 'greeter.Say.Hello']);
});

test('readme — the pub/sub block delivers to a service subscription and a queue group, and refuses a bad topic', async () => {
  const lines = (await runBlock('pubsub.ts')).stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2).sort(), ['audit orders.created 1', 'bill order 1 for acme']);
  assert.equal(lines[2], 'BAD_REQUEST invalid topic "orders..created": empty segment');
});

test('readme — the many-hosts block finds a service through NATS', async (t) => {
  const { engineAvailable } = await import('../support/engines.ts');
  if (!(await engineAvailable('nats', 4222))) return t.skip('nats is not running');
  assert.deepEqual((await runBlock('many-hosts.ts')).stdout.trim().split('\n'), ['Hello Ada through nats']);
});
