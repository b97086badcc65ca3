// The package as a user gets it from npm: packed from a clean copy of this checkout (so `npm pack` runs the build
// itself, through `prepare`), installed into a temporary project, then used from plain Node, from a strict
// TypeScript project, through `npx micro` and through require(). Fixtures: test/fixtures/package/.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { randomMdnsPort, stopProcess } from '../support/processes.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/package/', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
/** Not part of a clean checkout: installed, built or local state. */
const NOT_SOURCE = new Set(['node_modules', 'dist', '.git', '.micromesh', 'coverage']);
/** npm's own flags for every install here: the registry is reachable, its cache is preferred. */
const INSTALL_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Each command is its own process group, so a timeout ends npm together with the scripts it started. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function run(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${command} ${args.join(' ')} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      live.delete(child);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(command: string, args: string[], cwd: string, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const ran = await run(command, args, cwd, timeoutMs, env);
  assert.equal(ran.code, 0, `${command} ${args.join(' ')} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/** Plain Node for the fixtures: no loader from the environment either. */
const plainEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, NODE_OPTIONS: '', ...extra });

/** Starts a fixture under plain Node in the project; resolves on its `ready` line. */
function startFixture(project: string, file: string, env: Record<string, string>, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [file], { cwd: project, env: plainEnv(env), detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${file} printed no ready line within ${timeoutMs} ms`));
    }, timeoutMs);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('ready')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before it was ready`));
    });
  });
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

describe('package', { timeout: 180_000 }, () => {
  let tmp: string;
  let project: string;
  let entries: string[];

  before(
    async () => {
      tmp = mkdtempSync(join(tmpdir(), 'micromesh-package-'));
      const source = join(tmp, 'source');
      cpSync(REPO, source, { recursive: true, filter: (path) => path === REPO || !NOT_SOURCE.has(basename(path)) });
      symlinkSync(realpathSync(join(REPO, 'node_modules')), join(source, 'node_modules'), 'dir');
      await succeed('npm', ['pack', '--pack-destination', tmp], source, 90_000);
      const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
      assert.ok(tarball, 'npm pack wrote no tarball');
      const listing = await succeed('tar', ['-tzf', join(tmp, tarball)], tmp, 10_000);
      entries = listing.stdout
        .split('\n')
        .filter(Boolean)
        .map((e) => e.replace(/^package\//, ''));

      project = join(tmp, 'project');
      mkdirSync(project);
      cpSync(FIXTURES, project, { recursive: true });
      const repoPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
      const consumer = { name: 'micromesh-consumer', private: true, type: 'module', devDependencies: { '@types/node': repoPackage.devDependencies['@types/node'] } };
      writeFileSync(join(project, 'package.json'), `${JSON.stringify(consumer, null, 2)}\n`);
      await succeed('npm', ['install', ...INSTALL_FLAGS, join(tmp, tarball)], project, 100_000);
    },
    { timeout: 150_000 },
  );

  after(async () => {
    for (const child of live) killGroup(child);
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  test('package — the tarball holds the build, the bin, README and LICENSE; no sources, tests, benches or configs', () => {
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'bin/micro.js', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'dist/mesh/codec/worker.js']) {
      assert.ok(entries.includes(needed), `${needed} missing from the tarball`);
    }
    const unwanted = entries.filter(
      (e) => /^(src|test|bench|examples|\.ci)\//.test(e) || /(^|\/)tsconfig[^/]*\.json$/.test(e) || (e.endsWith('.ts') && !e.endsWith('.d.ts')) || e.endsWith('.d.ts.map'),
    );
    assert.deepEqual(unwanted, []);
    assert.deepEqual(
      entries.filter((e) => e.startsWith('bin/')),
      ['bin/micro.js'],
    );
  });

  test('package — installed, it brings no TypeScript tooling, and its .d.ts import .js', () => {
    const installed = join(project, 'node_modules', 'micromesh');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const tool of ['tsx', 'esbuild', 'typescript']) {
      assert.equal(manifest.dependencies[tool], undefined, `${tool} is a runtime dependency`);
      assert.equal(existsSync(join(project, 'node_modules', tool)), false, `${tool} was installed`);
    }
    const tsSpecifier = /(['"])\.\.?\/[^'"\n]*\.ts\1/;
    const declarations = filesUnder(join(installed, 'dist'), '.d.ts');
    assert.ok(declarations.length > 50, `only ${declarations.length} declaration files`);
    const offenders = declarations.filter((file) => tsSpecifier.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  test('package — plain node: a server process and a client process call each other through the package', { timeout: 90_000 }, async () => {
    const port = String(randomMdnsPort());
    const server = await startFixture(project, 'server.mjs', { TEST_MDNS_PORT: port, TEST_NODE_ID: 'pkg-server' }, 30_000);
    try {
      const { stdout } = await succeed(process.execPath, ['client.mjs'], project, 45_000, plainEnv({ TEST_MDNS_PORT: port }));
      const reply = /^reply (.*)$/m.exec(stdout);
      assert.ok(reply, stdout);
      assert.deepEqual(JSON.parse(reply[1] as string), { msg: 'Hello npm', servedBy: 'pkg-server' });
      // The codec worker (dist/mesh/codec/worker.js) loads and answers: a thread id other than the main thread's 0.
      const workers = /^workers (.*)$/m.exec(stdout);
      assert.ok(workers, stdout);
      assert.match(workers[1] as string, /^[1-9]\d*(,[1-9]\d*)*$/, 'the big body was not decoded in a worker thread');
    } finally {
      await stopProcess(server);
    }
  });

  test('package — a strict TypeScript consumer (nodenext, no skipLibCheck) type-checks, and wrong calls are errors', { timeout: 90_000 }, async () => {
    const ran = await run(process.execPath, [TSC, '-p', '.', '--pretty', 'false'], project, 80_000);
    const errors = ran.stdout.split('\n').filter((line) => / error TS\d+:/.test(line));
    // The main entry's types never reach xstate's (fromMachine lives at micromesh/xstate), so nothing is excused.
    assert.deepEqual(errors, [], ran.stdout);
    assert.equal(ran.code, 0, `tsc exited ${ran.code}\n${ran.stdout}${ran.stderr}`);
  });

  test('package — npx micro --help prints the usage', { timeout: 60_000 }, async () => {
    const { stdout } = await succeed('npx', ['--no', '--', 'micro', '--help'], project, 50_000);
    assert.match(stdout, /^Usage: micro /m);
    assert.match(stdout, /^\s+call \[options\] <service> <endpoint> \[request\]/m);
  });

  test('package — require() loads the ESM build on Node with require(esm), else fails with ERR_REQUIRE_ESM', { timeout: 60_000 }, async () => {
    const ran = await run(process.execPath, ['require.cjs'], project, 50_000, plainEnv());
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const requireEsm = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
    if (requireEsm) {
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^required \d+$/m);
    } else {
      assert.notEqual(ran.code, 0);
      assert.match(ran.stderr, /ERR_REQUIRE_ESM/);
    }
  });
});
