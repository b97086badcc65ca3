// `micro new` as a user meets it: the scaffold installs micromesh (packed from this checkout's build) and the
// tools from npm, and its own `npm test` and `npm run typecheck` pass.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MICRO = join(REPO, 'bin', 'micro.js');
const INSTALL_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];
/** npm's failures that mean the registry could not be reached, not that the scaffold is wrong. */
const NETWORK = /\b(ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNREFUSED|ECONNRESET|ENETUNREACH|network)\b/i;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The scaffold's own `node --test` must not report into this test run, as it does under NODE_TEST_CONTEXT. */
const { NODE_TEST_CONTEXT: _context, ...env } = process.env;

/** Runs a command in its own process group, so a timeout ends npm together with whatever it started. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'micromesh-new-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('cli new — refuses a bad name and an existing non-empty directory, with one line', async () => {
  const bad = await run(process.execPath, [MICRO, 'new', 'Bad Name'], tmp, 20_000);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^micro: .*name.*\n$/);
  assert.equal((await run(process.execPath, [MICRO, 'new', 'taken'], tmp, 20_000)).code, 0);
  const again = await run(process.execPath, [MICRO, 'new', 'taken'], tmp, 20_000);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'micro: Error: taken already exists and is not empty\n');
  const manifest = JSON.parse(readFileSync(join(tmp, 'taken', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(manifest.dependencies.micromesh, `^${version}`);
  assert.deepEqual(Object.keys(manifest.scripts).sort(), ['start', 'test', 'typecheck']);
  for (const file of ['tsconfig.json', 'proto/taken.proto', 'src/main.ts', 'src/service.ts', 'test/service.test.ts']) assert.ok(existsSync(join(tmp, 'taken', file)), file);
});

test('cli new — the scaffold installs, and its npm test and typecheck pass', { timeout: 240_000 }, async (t) => {
  assert.ok(existsSync(join(REPO, 'dist', 'index.js')), 'dist/ is not built: npm run build');
  // The build as it is: packed without `prepare`, since pretest (or the line above) has built it.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], REPO, 60_000);
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote no tarball');

  const made = await run(process.execPath, [MICRO, 'new', 'demo', '--micromesh', `file:${join(tmp, tarball)}`], tmp, 20_000);
  assert.equal(made.code, 0, made.stderr);
  const project = join(tmp, 'demo');
  const installed = await run('npm', ['install', ...INSTALL_FLAGS], project, 120_000);
  if (installed.code !== 0 && process.env.CI !== 'true' && NETWORK.test(installed.stderr)) {
    t.skip(`npm install could not reach the registry: ${installed.stderr.split('\n').find((l) => NETWORK.test(l))}`);
    return;
  }
  assert.equal(installed.code, 0, `npm install failed\n${installed.stdout}\n${installed.stderr}`);

  const tested = await run('npm', ['test'], project, 60_000);
  assert.equal(tested.code, 0, `npm test failed in the scaffold\n${tested.stdout}\n${tested.stderr}`);
  assert.match(tested.stdout, /^# pass 1$/m);
  const typed = await run('npm', ['run', 'typecheck'], project, 60_000);
  assert.equal(typed.code, 0, `the scaffold does not type-check\n${typed.stdout}\n${typed.stderr}`);
});
