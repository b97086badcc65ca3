import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulatedClock } from '../../src/actors/clock.ts';
import { createFileStore } from '../../src/mesh/store/file.ts';
import { createMemoryStore } from '../../src/mesh/store/memory.ts';
import { describeStore } from './store.ts';

// The simulated clocks start at an epoch-like time: expiry times are epoch ms.
describeStore('memory', async () => {
  const clock = createSimulatedClock(Date.now());
  return { store: createMemoryStore({ clock }), advance: (ms) => clock.advance(ms) };
});

describeStore('file', async () => {
  const clock = createSimulatedClock(Date.now());
  const directory = await mkdtemp(join(tmpdir(), 'micromesh-store-'));
  return {
    store: createFileStore({ directory, clock }),
    advance: (ms) => clock.advance(ms),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
});
