import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { randomMdnsPort, startProcess, stopProcess } from '../support/processes.ts';

const run = promisify(execFile);
const port = String(randomMdnsPort());
const MICRO = ['--import', 'tsx', 'src/cli/main.ts'];
let server: Awaited<ReturnType<typeof startProcess>>;

before(async () => {
  server = await startProcess('greeter-server.ts', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'api-srv' });
});
after(() => stopProcess(server.child));

/** Starts `micro api` on a free port and resolves with its URL from the first line it prints. */
function startApi(args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...MICRO, 'api', '--address', '127.0.0.1:0', '--mdns-port', port, '--output', 'json', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('micro api printed nothing within 20 s')), 20_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.once('exit', (code) => reject(new Error(`micro api exited with ${code}`)));
  });
}

test('cli — micro api serves calls (both path styles and go-micro headers), GET / and MCP, and exits 0 on SIGTERM', async () => {
  const { child, url } = await startApi();
  try {
    const hello = await fetch(`${url}/greeter/Say.Hello`, { method: 'POST', body: '{"name":"curl"}' });
    assert.equal(hello.status, 200);
    assert.deepEqual(await hello.json(), { msg: 'Hello curl', servedBy: 'api-srv' });
    const goMicro = await fetch(url, { method: 'POST', body: '{"name":"go"}', headers: { 'Micro-Service': 'greeter', 'Micro-Endpoint': 'Say.Hello' } });
    assert.deepEqual(await goMicro.json(), { msg: 'Hello go', servedBy: 'api-srv' });
    assert.deepEqual(await (await fetch(`${url}/greeter/say/hello`, { method: 'POST', body: '{"name":"p"}' })).json(), { msg: 'Hello p', servedBy: 'api-srv' });
    const listed = (await (await fetch(url)).json()) as { services: Array<{ name: string }> };
    assert.deepEqual(
      listed.services.map((s) => s.name),
      ['greeter'],
    );
    const tools = await fetch(`${url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    const names = ((await tools.json()) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    assert.deepEqual(names, ['greeter.Say.Hello']);
    assert.equal((await fetch(`${url}/nobody/X.Y`, { method: 'POST', body: '{}' })).status, 404);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});

test('cli — micro api: --help has an example; a bad flag value is one line on stderr and exit 1', async () => {
  const help = await run(process.execPath, [...MICRO, 'api', '--help']);
  assert.match(help.stdout, /\$ curl -d '\{"name":"Ada"\}' http:\/\/127\.0\.0\.1:8080\/greeter\/Say\.Hello/);
  assert.match(help.stdout, /MICRO_API_ADDRESS/);
  for (const args of [
    ['--address', 'nowhere'],
    ['--timeout', 'abc'],
    ['--max-body', '-5'],
  ]) {
    const err = await run(process.execPath, [...MICRO, 'api', '--mdns-port', port, ...args], { timeout: 20_000 }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err, `${args.join(' ')} started`);
    assert.equal(err.code, 1);
    const lines = err.stderr.split('\n').filter((l) => l.trim() !== '');
    assert.equal(lines.length, 1, err.stderr);
    assert.match(lines[0] as string, /^micro: /);
  }
});
