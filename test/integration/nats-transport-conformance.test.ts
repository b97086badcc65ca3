import { after } from 'node:test';
import { connect } from 'nats';
import { createNatsTransport } from '../../src/plugins/nats/transport.ts';
import { describeTransport } from '../conformance/transport.ts';
import { engineAvailable, runId } from '../support/engines.ts';

if (await engineAvailable('NATS', 4222)) {
  // Two connections, as two processes would have; transports alternate between them.
  const ncs = [await connect({ servers: '127.0.0.1:4222' }), await connect({ servers: '127.0.0.1:4222' })];
  after(() => Promise.all(ncs.map((nc) => nc.close())));
  const prefix = `_MMT_${runId()}`;
  let made = 0;
  describeTransport('nats', () => ({
    create: (options) => {
      made++;
      return createNatsTransport({ nc: ncs[made % 2] as (typeof ncs)[0], nodeId: `n${made}` }, { ...options, subjectPrefix: prefix, discovery: false });
    },
    listenAddress: '127.0.0.1:0',
    closedAddress: async () => `nats://nobody-${runId()}`,
    backpressure: false,
  }));
}
