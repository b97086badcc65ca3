import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { createFileEvents } from '../../../../src/mesh/events/file.ts';
import { frontOf, until } from '../../../conformance/events.ts';

async function withDirectory(fn: (directory: string) => Promise<void>): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-events-'));
  try {
    await fn(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

for (const fsync of ['each', 'batch', 'never'] as const) {
  test(`file events — a torn last record is dropped on open and the log stays usable (fsync ${fsync})`, () =>
    withDirectory(async (directory) => {
      const first = frontOf(createFileEvents({ directory, fsync, pollMs: 100 }));
      await Promise.all([1, 2, 3].map((n) => first.events.publish('t.x', n)));
      await first.close();
      const path = join(directory, 'events.log');
      const whole = (await stat(path)).size;
      // A crash in the middle of writing a fourth record: a header promising more bytes than follow.
      await appendFile(path, Buffer.from([0, 0, 0, 200, 1, 2, 3, 4, 9, 9]));
      const logger = createRecordingLogger();
      const again = frontOf(createFileEvents({ directory, fsync, pollMs: 100, logger }));
      try {
        const s4 = await again.events.publish('t.x', 4);
        assert.equal(s4, 4);
        const got: unknown[] = [];
        await again.events.consume('t.x', { group: 'g' }, (e) => void got.push(e.data));
        await until('four events', () => got.length === 4);
        assert.deepEqual([...got].sort(), [1, 2, 3, 4]);
        assert.ok(logger.entries.some((e) => /torn/.test(e.message)), 'the drop is reported');
        assert.ok((await readFile(path)).length > whole, 'the new record follows the kept ones');
      } finally {
        await again.close();
      }
    }));
}

test('file events — a flipped byte fails its CRC: that record and what follows are dropped', () =>
  withDirectory(async (directory) => {
    const first = frontOf(createFileEvents({ directory, pollMs: 100 }));
    for (const n of [1, 2]) await first.events.publish('t.x', n);
    await first.close();
    const path = join(directory, 'events.log');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 0xff;
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, bytes);
    const again = frontOf(createFileEvents({ directory, pollMs: 100 }));
    try {
      const got: unknown[] = [];
      await again.events.consume('t.x', { group: 'g' }, (e) => void got.push(e.data));
      await until('one event', () => got.length === 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(got, [1]);
    } finally {
      await again.close();
    }
  }));

test('file events — a second owner of the directory is refused with 503, the first keeps working', () =>
  withDirectory(async (directory) => {
    const first = frontOf(createFileEvents({ directory }));
    const second = frontOf(createFileEvents({ directory }));
    try {
      await first.events.publish('t.x', 1);
      await assert.rejects(second.events.publish('t.x', 2), (err: unknown) => (err as { code?: number }).code === 503);
      assert.equal(await first.events.publish('t.x', 3), 2);
    } finally {
      await second.close();
      await first.close();
    }
  }));
