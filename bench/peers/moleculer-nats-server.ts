/** The Moleculer NATS peer's server, run as a child process: an `echo` service in `--namespace`. */
import { parseArgs } from 'node:util';
import { announceReady } from '../lib/child-ready.ts';
import { addEchoService } from './moleculer-echo.ts';
import { createNatsBenchBroker } from './moleculer-nats-broker.ts';

const { values } = parseArgs({ options: { namespace: { type: 'string' } } });
if (values.namespace === undefined) throw new Error('--namespace is required');
const broker = createNatsBenchBroker('echo-server', values.namespace);
addEchoService(broker, 'echo');
await broker.start();
announceReady(0, () => broker.stop());
