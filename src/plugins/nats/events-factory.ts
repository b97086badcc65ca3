/** The nats plugin's events factory: JetStream streams and durable consumers on the node's shared connection. */
import { MicroError } from '../../mesh/errors.ts';
import { importOptional } from '../../mesh/plugins/import-optional.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { shareNats } from './connection.ts';
import { createJetStreamEvents } from './events.ts';
import type { JetStreamEventsOptions } from './events-options.ts';

/** `events: 'nats://127.0.0.1:4222'` (or the bare name `nats`, meaning `defaultUrl`). */
export function natsEventsFactory(defaultUrl: string): PluginFactory {
  return {
    concern: 'events',
    name: 'nats',
    schemes: ['nats'],
    description: 'JetStream streams and durable consumers; nats://host:4222?streamPrefix=EVENTS_&storage=file',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(defaultUrl);
      const settings = { ...ctx.options.nats, ...jetStreamUrlSettings(url) };
      const mod = await importOptional<typeof import('nats')>('nats', { plugin: 'nats', concern: ctx.concern });
      const lease = await shareNats(url, ctx, settings);
      return createJetStreamEvents(lease, mod, { clock: ctx.clock, ...settings });
    },
  };
}

function jetStreamUrlSettings(url: URL): JetStreamEventsOptions {
  const settings: JetStreamEventsOptions = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'streamPrefix' && /^[A-Za-z0-9_-]+$/.test(value)) settings.streamPrefix = value;
    else if (key === 'storage' && (value === 'file' || value === 'memory')) settings.storage = value;
    else throw new MicroError('BAD_REQUEST', `nats events URL: bad setting ${key}=${JSON.stringify(value)} (known: streamPrefix, storage=file|memory)`);
  }
  return settings;
}
