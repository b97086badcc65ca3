import { createMdnsRegistry } from '../../src/mesh/registry/mdns.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { splitRegistry } from '../support/engine-registries.ts';
import { describeRegistry } from './registry.ts';

// Each mDNS registry gets its own random port and domain, so parallel runs and other suites never meet.
const mdnsOptions = () => ({ port: 20_000 + Math.floor(Math.random() * 40_000), domain: `conf${Math.floor(Math.random() * 1e9)}.local`, queryWindowMs: 100 });

describeRegistry('memory', () => createMemoryRegistry());

describeRegistry('mdns', async () => {
  const registry = createMdnsRegistry(mdnsOptions());
  await registry.ready();
  return registry;
});

// Writes on one mDNS registry, reads and watches on another: the contract holds across the wire.
describeRegistry('mdns (write on one node, read on another)', async () => {
  const options = mdnsOptions();
  const writer = createMdnsRegistry(options);
  const reader = createMdnsRegistry(options);
  await Promise.all([writer.ready(), reader.ready()]);
  return splitRegistry(writer, reader);
});
