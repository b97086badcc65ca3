import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { randomMdnsPort } from '../support/processes.ts';

const exec = promisify(execFile);

/** Runs an example as its README says (`npx tsx <file>`), on a private mDNS port so runs never meet. */
async function runExample(file: string): Promise<string> {
  const env = { ...process.env, MICRO_MDNS_PORT: String(randomMdnsPort()) };
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', file], { timeout: 60_000, env });
  return stdout;
}

test('examples — streaming: replies both ways, and a slow consumer holds the producer within the window', async () => {
  const stdout = await runExample('examples/streaming/main.ts');
  assert.match(stdout, /^shouted: ADA GRACE BARBARA$/m);
  const m = /^counted to 200; the producer was never more than (\d+) ahead of the consumer \(window 32\)$/m.exec(stdout);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) <= 34, `ran ${m[1]} ahead`);
});

test('examples — gateway: curl-style calls, a go-micro header call, a 404, a WebSocket stream and MCP tools', async () => {
  const stdout = await runExample('examples/gateway/main.ts');
  assert.match(stdout, /^\$ curl -d '\{"name":"Ada"\}' http:\/\/127\.0\.0\.1:\d+\/greeter\/Say\.Hello\n200 \{"msg":"Hello Ada"\}$/m);
  assert.match(stdout, /^200 \{"msg":"Hello Grace"\}$/m);
  assert.match(stdout, /^404 \{.*"reason":"SERVICE_NOT_FOUND"\}$/m);
  assert.match(stdout, /^websocket \/greeter\/Say\.Stream: \{"msg":"Hello Barbara"\} \{"msg":"Hello Edsger"\}$/m);
  assert.match(stdout, /^mcp tools: greeter\.Say\.Hello$/m);
  assert.match(stdout, /^mcp tools\/call greeter\.Say\.Hello: \{"msg":"Hello Claude"\}$/m);
});

test('examples — actors: a pinger and a ponger on two processes exchange three messages through refs inside messages', async () => {
  const stdout = await runExample('examples/actors/main.ts');
  const m = /^(node-\w+) pings (node-\w+)$/m.exec(stdout);
  assert.ok(m, stdout);
  assert.notEqual(m[1], m[2]);
  for (const n of [1, 2, 3]) assert.match(stdout, new RegExp(`^pong ${n} from mesh://${m[2]}/user/ponger$`, 'm'));
  assert.match(stdout, /^three pings, three pongs, across two processes$/m);
});

test('examples — supervision: rest_for_one restarts the crashed child and those after it; a failing handler is a 500 and the next call is served', async () => {
  const stdout = await runExample('examples/supervision/main.ts');
  const before = /^tree before: db#(\d+) \(0 restarts\), cache#(\d+) \(0 restarts\), worker#(\d+) \(0 restarts\)$/m.exec(stdout);
  const after = /^tree after cache crashed: db#(\d+) \(0 restarts\), cache#(\d+) \(1 restarts\), worker#(\d+) \(1 restarts\)$/m.exec(stdout);
  assert.ok(before && after, stdout);
  assert.equal(after[1], before[1], 'db kept its incarnation');
  assert.notEqual(after[2], before[2], 'cache restarted');
  assert.notEqual(after[3], before[3], 'worker restarted');
  assert.match(stdout, /^order "tea": \{"placed":"tea"\}$/m);
  assert.match(stdout, /^order "poison": "500 cannot place poison"$/m);
  assert.match(stdout, /^order "": "400 an order needs an item"$/m);
  assert.match(stdout, /^order "cake": \{"placed":"cake"\}$/m);
  assert.match(stdout, /^node tree: .*registry .*server.*registration/m);
});
