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
      // The next publish takes the dropped record's sequence, and the group gets it right after the first: in order,
      // so a second record still in the log would have come before it.
      assert.equal(await again.events.publish('t.x', 3), 2);
      await until('the new event', () => got.length === 2);
      assert.deepEqual(got, [1, 3]);
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

test('file events — delivery counts survive a restart: a handler that takes its process down still uses up maxDeliver', () =>
  withDirectory(async (directory) => {
    const first = frontOf(createFileEvents({ directory, pollMs: 100 }));
    await first.events.publish('t.x', 'poison');
    await first.events.publish('t.x', 'fine');
    const counts: number[] = [];
    // The "crash": the handler never settles the event and the process goes away while it runs.
    await first.events.consume('t.x', { group: 'g', ack: 'manual', maxDeliver: 2 }, (e) => {
      if (e.data === 'poison') counts.push(e.deliveryCount);
      else return e.ack();
    });
    await until('the first delivery', () => counts.length === 1);
    await first.close();

    const second = frontOf(createFileEvents({ directory, pollMs: 100 }));
    await second.events.consume('t.x', { group: 'g', ack: 'manual', maxDeliver: 2 }, (e) => void counts.push(e.deliveryCount));
    await until('the second delivery', () => counts.length === 2);
    await second.close();
    assert.deepEqual(counts, [1, 2], 'the count went on from where it was, and the acked event stayed acked');

    const third = frontOf(createFileEvents({ directory, pollMs: 100 }));
    try {
      const dead: unknown[] = [];
      await third.events.consume('dead-letter.g', { group: 'dl' }, (e) => void dead.push(e.data));
      await third.events.consume('t.x', { group: 'g', ack: 'manual', maxDeliver: 2 }, (e) => void counts.push(e.deliveryCount));
      await until('the dead letter', () => dead.length === 1);
      assert.deepEqual(counts, [1, 2], 'a third delivery is dead-lettered, not handled');
      assert.match(JSON.stringify(dead[0]), /poison/);
    } finally {
      await third.close();
    }
  }));
