import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileEvents } from '../../src/mesh/events/file.ts';
import { createMemoryEvents } from '../../src/mesh/events/memory.ts';
import { describeEvents } from './events.ts';

describeEvents('memory', async () => ({ backend: createMemoryEvents({ pollMs: 200 }) }));

describeEvents('file', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-events-'));
  return {
    backend: createFileEvents({ directory, pollMs: 200 }),
    reopen: async () => createFileEvents({ directory, pollMs: 200 }),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});
