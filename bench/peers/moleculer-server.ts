/** The Moleculer peer's server, run as a child process: an `echo` service whose action returns its params. */
import { announceReady } from '../lib/child-ready.ts';
import { createBenchBroker, ECHO_SERVER_NODE_ID } from './moleculer-broker.ts';
import { addEchoService } from './moleculer-echo.ts';

const { broker, port } = createBenchBroker({ nodeID: ECHO_SERVER_NODE_ID });
addEchoService(broker, 'echo');
await broker.start();
const listening = port();
if (listening === undefined) throw new Error('moleculer TCP transporter did not report its port');
announceReady(listening, () => broker.stop());
