/** The `nats` transport factory: `transport: 'nats://127.0.0.1:4222'` carries the node's frames over that server. */
import type { ConcernFactory } from '../../mesh/plugins/plugin.ts';
import { shareNats } from './connection.ts';
import { createNatsTransport } from './transport.ts';

export function natsTransportFactory(defaultUrl: string): ConcernFactory<'transport'> {
  return {
    concern: 'transport',
    name: 'nats',
    schemes: ['nats'],
    description: 'frames over NATS subjects, one subscription per node; listens at nats://<node-id>',
    create: async (target, ctx) => {
      const lease = await shareNats(target.url ?? new URL(defaultUrl), ctx);
      return createNatsTransport(
        { nc: lease.value, nodeId: ctx.nodeId, release: () => lease.release() },
        { logger: ctx.logger, clock: ctx.clock, ...ctx.options.nats },
      );
    },
  };
}
