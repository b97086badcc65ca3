import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ContentType } from '../../../../src/mesh/codec/codec.ts';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { createCodecs } from '../../../../src/mesh/codec/codecs.ts';
import { waitUntil } from '../../../support/wait.ts';

const codecsModule = fileURLToPath(new URL('../../../../src/mesh/codec/codecs.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** OS threads of this process; a worker thread is at least one of them. */
const osThreads = () => readdirSync('/proc/self/task').length;

function until(check: () => boolean, deadlineMs: number, what: string): Promise<void> {
  return waitUntil(check, deadlineMs, what);
}

test('codecs — close() ends the worker threads, and decoding keeps working on the main thread', async () => {
  const procFs = existsSync('/proc/self/task');
  await readFile(fileURLToPath(import.meta.url)); // start libuv's thread pool now, not mid-test
  const baseline = procFs ? osThreads() : 0;
  const codecs = createCodecs({ offloadThresholdBytes: 1 });
  assert.deepEqual(await codecs.decodeAsync(ContentType.JSON, Buffer.from('[1]')), [1]);
  assert.equal(codecs.stats().poolThreads, 1);
  if (procFs) assert.ok(osThreads() > baseline, 'a worker thread runs');
  await codecs.close();
  assert.equal(codecs.stats().poolThreads, 0);
  if (procFs) await until(() => osThreads() <= baseline, 5000, 'the worker threads to exit');
  assert.deepEqual(await codecs.decodeAsync(ContentType.JSON, Buffer.from('[2]')), [2]);
  assert.equal(codecs.stats().poolThreads, 0);
  assert.equal(codecs.stats().main, 1);
});

test('codecs — bodies in a worker when close() is called still resolve to their value, without warnings', async () => {
  const logger = createRecordingLogger();
  const codecs = createCodecs({ offloadThresholdBytes: 1, logger });
  await codecs.decodeAsync(ContentType.JSON, Buffer.from('[0]'));
  const pending = [1, 2].map((i) => codecs.decodeAsync(ContentType.JSON, Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(200_000) }))));
  await codecs.close();
  const values = (await Promise.all(pending)) as Array<{ i: number }>;
  assert.deepEqual(
    values.map((v) => v.i),
    [1, 2],
  );
  assert.equal(codecs.stats().fallbacks, 2, 'both were cut off in the worker and decoded here');
  assert.deepEqual(logger.entries.filter((e) => e.level !== 'debug'), []);
});

/** Run a module in a fresh node; resolves with its exit code and output, or fails at the deadline. */
function runNode(args: string[], source: string, deadlineMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '--input-type=module', '-e', source], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${deadlineMs} ms:\n${out}`));
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const offloadAndClose = `
  const { createCodecs } = await import(${JSON.stringify(codecsModule)});
  const codecs = createCodecs({ offloadThresholdBytes: 1 });
  const value = await codecs.decodeAsync('application/json', Buffer.from('{"ok":true}'));
  await codecs.close();
  console.log(JSON.stringify({ value, stats: codecs.stats() }));
`;

function lastJson(out: string): { value: unknown; stats: { offloaded: number; fallbacks: number; workerThreadIds: number[] } } {
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line);
}

test('codecs — a process started with --import tsx offloads to a worker and exits by itself after close()', async () => {
  const { code, out } = await runNode(['--import', 'tsx'], offloadAndClose, 20_000);
  assert.equal(code, 0, out);
  const result = lastJson(out);
  assert.deepEqual(result.value, { ok: true });
  assert.equal(result.stats.offloaded, 1);
  assert.notEqual(result.stats.workerThreadIds[0], 0);
});

test('codecs — with tsx registered at run time (nothing in execArgv) the worker still loads', async () => {
  const source = `const { register } = await import('tsx/esm/api'); register();\n${offloadAndClose}`;
  const { code, out } = await runNode([], source, 20_000);
  assert.equal(code, 0, out);
  const result = lastJson(out);
  assert.equal(result.stats.offloaded, 1);
  assert.equal(result.stats.fallbacks, 0);
});
