import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startProcess, stopProcess } from '../support/processes.ts';

test('reminders — a reminder set by a process killed with SIGKILL fires in the process that replaces it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'micromesh-reminders-'));
  try {
    const first = await startProcess('reminder-node.ts', { STORE_DIR: dir, SET_IN_MS: '2000' });
    const at = Number(first.ready.split(' ')[2]);
    await stopProcess(first.child, 'SIGKILL');
    assert.ok(Date.now() < at, 'killed before the reminder was due');
    const second = await startProcess('reminder-node.ts', { STORE_DIR: dir });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no fire within 10 s')), 10_000);
        createInterface({ input: second.child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
          if (!l.startsWith('fired')) return;
          clearTimeout(timer);
          resolve(l);
        });
      });
      const [, name, payload, scheduledAt] = line.split(' ');
      assert.equal(name, 'wake');
      assert.deepEqual(JSON.parse(payload as string), { from: first.child.pid });
      assert.equal(Number(scheduledAt), at);
      assert.ok(Date.now() >= at, 'not before it was due');
    } finally {
      await stopProcess(second.child);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
