/** The `nats` broker factory (also `nats://` URLs): NATS core pub/sub on the node's shared connection. */
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { NatsBroker, type NatsCloudEventsMode } from './broker.ts';
import type { NatsBrokerOptions } from './options.ts';
import { shareNats } from './connection.ts';


const DEFAULT_URL = 'nats://127.0.0.1:4222';
const MODES = ['binary', 'structured', 'off'] as const;
const isMode = (v: unknown): v is NatsCloudEventsMode => MODES.includes(v as NatsCloudEventsMode);

export function natsBrokerFactory(): PluginFactory {
  return {
    concern: 'broker',
    name: 'nats',
    schemes: ['nats'],
    description: 'NATS core pub/sub, CloudEvents in binary mode (?cloudevents=structured|off); the topic is the subject; nats://host:4222',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(DEFAULT_URL);
      const settings: NatsBrokerOptions = { ...ctx.options.nats };
      for (const [key, value] of url.searchParams) {
        if (key !== 'cloudevents') throw new MicroError('BAD_REQUEST', `nats broker URL: unknown setting "${key}" (known: cloudevents)`);
        if (!isMode(value)) throw new MicroError('BAD_REQUEST', `nats broker URL: cloudevents=${JSON.stringify(value)}: expected ${MODES.join(', ')}`);
        settings.cloudEvents = value;
      }
      if (settings.cloudEvents !== undefined && !isMode(settings.cloudEvents)) {
        throw new MicroError('BAD_REQUEST', `nats broker: cloudEvents ${JSON.stringify(settings.cloudEvents)}: expected ${MODES.join(', ')}`);
      }
      const lease = await shareNats(url, ctx, ctx.options.nats);
      return new NatsBroker({ lease, log: ctx.logger, clock: ctx.clock }, settings);
    },
  };
}
