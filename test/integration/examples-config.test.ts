import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const example = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'examples/config/main.ts', ...args], { timeout: 30_000, env: { ...process.env, MICRO_LOG_LEVEL: 'error', ...env } });
const dir = mkdtempSync(join(tmpdir(), 'mm-config-example-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('examples — config: edits of the file are hot-reloaded and visible in the output; a broken edit keeps the last good settings', async () => {
  const { stdout } = await example([]);
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], 'Hello Ada, from the mesh');
  assert.ok(lines.includes('config changed: greeter.greeting "Hello" → "Howdy"'), stdout);
  assert.ok(lines.includes('config changed: greeter calls now time out after 500 ms'), stdout);
  assert.ok(lines.includes('Howdy Ada, from the mesh'), stdout);
  assert.match(stdout, /^config error: config file \/\S+\/config\.yaml:\d+:\d+: Flow sequence/m);
  assert.equal(lines.at(-1), 'still serving the last good settings: Howdy Ada, from the mesh');
});

test('examples — config: env overrides the file and fills variables with defaults', async () => {
  const { stdout } = await example(['examples/config/config.yaml'], { MICRO_GREETER_GREETING: 'Yo', GREETER_SIGNATURE: 'Grace' });
  assert.match(stdout, /"greeter":\{"greeting":"Yo","signature":"Grace"\}/);
});

test('examples — config: startup with a broken or missing file fails with the file, line:column and a non-zero exit', async () => {
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'greeter:\n  greeting: "Hi\n');
  const failure = await example([broken]).then(
    () => assert.fail('a broken file must not start'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failure.code, 1);
  assert.equal(failure.stderr.trim(), `config example: config file ${broken}:3:1: Missing closing "quote`);
  const missing = await example([join(dir, 'none.yaml')]).then(
    () => assert.fail('a missing file must not start'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /config file \S+none\.yaml: not found/);
});
