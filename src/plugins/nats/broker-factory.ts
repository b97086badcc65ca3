/** The `nats` broker factory (also `nats://` URLs): NATS core pub/sub on the node's shared connection. */
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { NatsBroker } from './broker.ts';
import { shareNats } from './connection.ts';


const DEFAULT_URL = 'nats://127.0.0.1:4222';

export function natsBrokerFactory(): PluginFactory {
  return {
    concern: 'broker',
    name: 'nats',
    schemes: ['nats'],
    description: 'NATS core pub/sub, CloudEvents in binary mode; the topic is the subject; nats://host:4222',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(DEFAULT_URL);
      for (const [key] of url.searchParams) throw new MicroError('BAD_REQUEST', `nats broker URL: unknown setting "${key}" (it takes none)`);
      const lease = await shareNats(url, ctx, ctx.options.nats);
      return new NatsBroker({ lease, log: ctx.logger, clock: ctx.clock }, ctx.options.nats);
    },
  };
}
