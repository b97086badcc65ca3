/** The `redis` broker factory (also `redis://` URLs): Redis pub/sub, a subscriber connection of its own. */
import { MicroError } from '../../mesh/errors.ts';
import type { PluginFactory } from '../../mesh/plugins/plugin.ts';
import { redactUrl } from '../../mesh/plugins/target.ts';
import { RedisBroker } from './broker.ts';
import { shareRedis } from './connection.ts';
import type { RedisBrokerOptions, RedisConnectionOptions } from './options.ts';


const DEFAULT_URL = 'redis://127.0.0.1:6379';

export function redisBrokerFactory(): PluginFactory {
  return {
    concern: 'broker',
    name: 'redis',
    schemes: ['redis', 'rediss'],
    description: 'Redis pub/sub, one structured CloudEvents JSON per message; redis://host:6379/db?channelPrefix=app.',
    create: async (target, ctx) => {
      const url = target.url ?? new URL(DEFAULT_URL);
      const settings: RedisBrokerOptions & RedisConnectionOptions = { ...ctx.options.redis };
      for (const [key, value] of url.searchParams) {
        if (key === 'channelPrefix') settings.channelPrefix = value;
        else throw new MicroError('BAD_REQUEST', `redis broker URL: unknown setting "${key}" (known: channelPrefix)`);
      }
      const lease = await shareRedis(url, ctx, settings);
      // A subscribing connection can do nothing else: a second one, retrying forever, re-subscribing on reconnect.
      const subscriber = lease.value.duplicate({ lazyConnect: false, autoResubscribe: true, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(times * 200, 2000) });
      let lastLog = 0;
      subscriber.on('error', (err: Error) => {
        if (Date.now() - lastLog < 10_000) return;
        lastLog = Date.now();
        ctx.logger.warn({ err: err.message, url: redactUrl(url.href) }, 'redis broker: subscriber connection error');
      });
      return new RedisBroker(lease, subscriber, ctx.logger, settings);
    },
  };
}
