/** The Moleculer NATS peer's server, run as a child process: an `echo` service in `--namespace`. */
import { parseArgs } from 'node:util';
import type { Context } from 'moleculer';
import { announceReady } from '../lib/child-ready.ts';
import { createNatsBenchBroker } from './moleculer-nats-broker.ts';

const { values } = parseArgs({ options: { namespace: { type: 'string' } } });
if (values.namespace === undefined) throw new Error('--namespace is required');
const broker = createNatsBenchBroker('echo-server', values.namespace);
broker.createService({
  name: 'echo',
  actions: {
    echo(ctx: Context) {
      return ctx.params;
    },
  },
});
await broker.start();
announceReady(0, () => broker.stop());
