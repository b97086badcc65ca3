import { engineAvailable, runId } from '../support/engines.ts';
import { type Engine, engineRegistry, splitRegistry } from '../support/engine-registries.ts';
import { describeRegistry } from './registry.ts';

// The registry contract on the real NATS (4222) and Redis (6379): one registry alone, and a writer/reader pair
// (two connections), each run under a prefix of its own so runs never meet.
const engines: Array<[Engine, number]> = [
  ['nats', 4222],
  ['redis', 6379],
];

for (const [engine, port] of engines) {
  if (!(await engineAvailable(engine, port))) continue;
  describeRegistry(engine, () => engineRegistry(engine, `${runId()}:reg`));
  describeRegistry(`${engine} (write on one node, read on another)`, async () => {
    const prefix = `${runId()}:reg`;
    const [writer, reader] = await Promise.all([engineRegistry(engine, prefix), engineRegistry(engine, prefix)]);
    return splitRegistry(writer, reader);
  });
}
