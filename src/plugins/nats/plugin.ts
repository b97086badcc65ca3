/** The nats plugin: the concerns NATS backs (`nats` and `nats://` URLs), each sharing one connection per URL. */
import { MicroError } from '../../mesh/errors.ts';
import { importOptional } from '../../mesh/plugins/import-optional.ts';
import { definePlugin, type Plugin } from '../../mesh/plugins/plugin.ts';
import { shareNats } from './connection.ts';
import { createJetStreamEvents } from './events.ts';
import type { JetStreamEventsOptions } from './events-options.ts';

declare module '../../mesh/events/factories.ts' {
  interface EventsConcernOptions {
    /** Settings of the `nats` (JetStream) events; a URL's `?streamPrefix=` and `?storage=` override them. @default {} */
    nats?: JetStreamEventsOptions;
  }
}

/** Where a bare `nats` points. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * The nats plugin. Nodes made by the package's `createNode` have it already.
 * @example
 * const node = await createNode({ registry: 'nats://127.0.0.1:4222' });
 */
export function natsPlugin(): Plugin {
  // Each concern NATS backs adds its factory here, from a module of its own in this folder.
  return definePlugin({
    name: 'nats',
    factories: [
      {
        concern: 'events',
        name: 'nats',
        schemes: ['nats'],
        description: 'JetStream streams and durable consumers; nats://host:4222?streamPrefix=EVENTS_&storage=file',
        create: async (target, ctx) => {
          const url = target.url ?? new URL(DEFAULT_NATS_URL);
          const settings = { ...ctx.options.nats, ...jetStreamUrlSettings(url) };
          const mod = await importOptional<typeof import('nats')>('nats', { plugin: 'nats', concern: ctx.concern });
          const lease = await shareNats(url, ctx, settings);
          return createJetStreamEvents(lease, mod, settings);
        },
      },
    ],
  });
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
