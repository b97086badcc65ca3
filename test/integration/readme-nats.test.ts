import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { engineAvailable } from '../support/engines.ts';

const run = promisify(execFile);

test('readme — the NATS transport block calls over NATS and finds the service with a plain $SRV.PING', { skip: !(await engineAvailable('NATS', 4222)) }, async () => {
  const text = await readFile('README.md', 'utf8');
  const code = /```ts\n(\/\/ nats-transport\.ts\n[\s\S]*?)```/.exec(text)?.[1];
  assert.ok(code, 'the README has a nats-transport.ts block');
  const dir = await mkdtemp('.readme-nats-');
  try {
    await writeFile(`${dir}/nats-transport.ts`, code);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', `${dir}/nats-transport.ts`], { timeout: 30_000 });
    const lines = stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^Hello Ada over NATS; the server also listens at 127\.0\.0\.1:\d+$/);
    assert.deepEqual(lines.slice(1), ['greeter 1.0.0 on this server']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
