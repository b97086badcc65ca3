// `micro run` on a copy of test/fixtures/cli/run: it restarts the entry when a file beside it changes, and
// passes SIGTERM on to it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'micromesh-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('cli run — restarts the entry on a change under its directory and forwards SIGTERM', { timeout: 60_000 }, async () => {
  cpSync(fileURLToPath(new URL('../fixtures/cli/run/', import.meta.url)), tmp, { recursive: true });
  // From the repo, so that `--import tsx` resolves as it does in a project that has tsx.
  const micro = spawn(process.execPath, ['bin/micro.js', 'run', join(tmp, 'app.ts')], { cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  micro.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const waiters: { text: string; done: () => void }[] = [];
  createInterface({ input: micro.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.filter((w) => w.text === line)) w.done();
  });
  const exited = new Promise<number | null>((resolve) => micro.once('close', (code) => resolve(code)));
  const seen = (text: string, timeoutMs = 20_000): Promise<void> =>
    lines.includes(text)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms; lines ${JSON.stringify(lines)}; stderr ${stderr}`)), timeoutMs);
          waiters.push({
            text,
            done: () => {
              clearTimeout(timer);
              resolve();
            },
          });
        });
  try {
    await seen('value one');
    writeFileSync(join(tmp, 'value.txt'), 'two\n');
    await seen('value two');
    assert.ok(lines.includes('stopped one') && lines.indexOf('stopped one') < lines.indexOf('value two'), `the old process stopped before the new one started: ${JSON.stringify(lines)}`);
    writeFileSync(join(tmp, 'value.txt'), 'three\n');
    await seen('value three');
    micro.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.deepEqual(
      lines.filter((l) => l.startsWith('value ')),
      ['value one', 'value two', 'value three'],
    );
    assert.equal(lines.at(-1), 'stopped three', `${JSON.stringify(lines)} ${stderr}`);
    assert.match(stderr, /^micro: restarting .*app\.ts$/m);
    assert.doesNotMatch(stderr, /waiting for a change/, 'a stop micro asked for is not reported as an exit');
  } finally {
    if (micro.pid !== undefined && micro.exitCode === null && micro.signalCode === null) process.kill(-micro.pid, 'SIGKILL');
  }
});

test('cli run — a missing entry is one line, exit 1', async () => {
  const micro = spawn(process.execPath, ['bin/micro.js', 'run', join(tmp, 'nowhere.ts')], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  micro.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => micro.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(stderr, /^micro: .*nowhere\.ts: no such file or directory\n$/);
});
