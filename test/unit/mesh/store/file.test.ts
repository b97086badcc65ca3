import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, truncate, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/index.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { createFileStore } from '../../../../src/mesh/store/file.ts';
import { readText } from '../../../../src/mesh/store/store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'micromesh-file-store-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const logPath = () => join(dir, 'micro', 'micro.log');

test('file store — records survive a reopen, with their revisions and deletes', async () => {
  const first = createFileStore({ directory: dir });
  await first.write({ key: 'a', value: 'one' });
  await first.write({ key: 'a', value: 'two', metadata: { m: '1' } });
  await first.write({ key: 'b', value: 'bee' });
  await first.write({ key: 'gone', value: 'x' });
  await first.delete('gone');
  await first.close();
  const second = createFileStore({ directory: dir });
  const a = await second.read('a');
  assert.equal(readText(a), 'two');
  assert.equal(a.revision, 2);
  assert.deepEqual(a.metadata, { m: '1' });
  assert.deepEqual(await second.list(), ['a', 'b']);
  assert.equal((await second.write({ key: 'a', value: 'three' })).revision, 3);
  await second.close();
});

test('file store — a torn last record is detected on open and dropped; what came before survives', async () => {
  const first = createFileStore({ directory: dir });
  await first.write({ key: 'kept/1', value: 'one' });
  await first.write({ key: 'kept/2', value: 'two' });
  const before = (await stat(logPath())).size;
  await first.write({ key: 'torn', value: 'x'.repeat(1000) });
  await first.close();
  // A crash in the middle of the last append: only part of its frame reached the disk.
  await truncate(logPath(), before + 500);
  const logger = createRecordingLogger();
  const second = createFileStore({ directory: dir, logger });
  assert.deepEqual(await second.list(), ['kept/1', 'kept/2']);
  assert.equal(readText(await second.read('kept/2')), 'two');
  await assert.rejects(second.read('torn'), (err: unknown) => err instanceof MicroError && err.reason === 'NOT_FOUND');
  assert.ok(logger.entries.some((e) => e.level === 'warn' && /torn or corrupt tail/.test(e.message)), 'the dropped tail is reported');
  assert.equal((await stat(logPath())).size, before, 'the torn bytes are cut off the file');
  // Writes after the cut append cleanly, and a third open sees them.
  await second.write({ key: 'after', value: 'ok' });
  await second.close();
  const third = createFileStore({ directory: dir });
  assert.deepEqual(await third.list(), ['after', 'kept/1', 'kept/2']);
  await third.close();
});

test('file store — a record whose checksum fails ends the log there', async () => {
  const first = createFileStore({ directory: dir });
  await first.write({ key: 'good', value: 'fine' });
  const size = (await stat(logPath())).size;
  await first.write({ key: 'bad', value: 'flipped' });
  await first.close();
  // Garbage where the second frame's value was: same length, wrong checksum.
  const { open } = await import('node:fs/promises');
  const fh = await open(logPath(), 'r+');
  await fh.write(Buffer.from('XXXXXXX'), 0, 7, (await stat(logPath())).size - 7);
  await fh.close();
  const second = createFileStore({ directory: dir });
  assert.deepEqual(await second.list(), ['good']);
  assert.equal((await stat(logPath())).size, size);
  await second.close();
});

test('file store — stray bytes (a partial header) at the end are dropped', async () => {
  const first = createFileStore({ directory: dir });
  await first.write({ key: 'good', value: 'fine' });
  await first.close();
  await appendFile(logPath(), Buffer.from([0, 0, 1]));
  const second = createFileStore({ directory: dir });
  assert.deepEqual(await second.list(), ['good']);
  await second.close();
});

test('file store — compaction rewrites the log with only live records', async () => {
  const store = createFileStore({ directory: dir, compactBytes: 64 * 1024 });
  for (let i = 0; i < 200; i++) await store.write({ key: 'hot', value: 'v'.repeat(1000) + i });
  await store.write({ key: 'cold', value: 'c' });
  assert.ok((await stat(logPath())).size < 64 * 1024, 'the log was compacted');
  await store.close();
  const reopened = createFileStore({ directory: dir });
  assert.equal(readText(await reopened.read('hot')), 'v'.repeat(1000) + 199);
  assert.equal((await reopened.read('hot')).revision, 200);
  assert.equal(readText(await reopened.read('cold')), 'c');
  await reopened.close();
  assert.deepEqual(await readdir(join(dir, 'micro')), ['micro.log']);
});

test('file store — nothing touches the disk until a scope is used; each scope is its own log', async () => {
  const store = createFileStore({ directory: join(dir, 'lazy') });
  await assert.rejects(stat(join(dir, 'lazy')));
  await store.scope({ database: 'shop', table: 'orders' }).write({ key: 'o1', value: 'x' });
  assert.deepEqual((await readdir(join(dir, 'lazy', 'shop'))).sort(), ['orders.log', 'orders.log.lock']);
  await store.close();
  assert.deepEqual(await readdir(join(dir, 'lazy', 'shop')), ['orders.log']);
});

test('file store — a directory it cannot create is UNAVAILABLE (503)', async () => {
  await writeFile(join(dir, 'a-file'), 'not a directory');
  const store = createFileStore({ directory: join(dir, 'a-file', 'store') });
  await assert.rejects(store.write({ key: 'k', value: 'v' }), (err: unknown) => err instanceof MicroError && err.reason === 'UNAVAILABLE' && err.code === 503);
  await store.close();
});

test('file store — one store owns a log: a second one fails with UNAVAILABLE until the first closes', async () => {
  const first = createFileStore({ directory: dir });
  const second = createFileStore({ directory: dir });
  await first.write({ key: 'k', value: 'one' });
  await assert.rejects(second.read('k'), (err: unknown) => {
    assert.ok(err instanceof MicroError && err.reason === 'UNAVAILABLE');
    assert.match(err.detail, /is in use by another store in this process/);
    return true;
  });
  // Another scope is another log, free to open.
  await second.scope({ table: 'other' }).write({ key: 'k', value: 'two' });
  await first.close();
  assert.equal(readText(await second.read('k')), 'one');
  await second.close();
});

test('file store — the lock of a process that is gone (a crash) is taken over', async () => {
  const first = createFileStore({ directory: dir });
  await first.write({ key: 'k', value: 'v' });
  await first.close();
  // A pid no process can have: Linux pids stop at 2^22 (4194304), so kill(pid, 0) says ESRCH.
  await writeFile(`${logPath()}.lock`, '4206649\n');
  const second = createFileStore({ directory: dir });
  assert.equal(readText(await second.read('k')), 'v');
  await second.close();
});
