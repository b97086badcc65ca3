/** Subscriptions declared in `defineService`, started when the service is served. */
import { MicroError } from '../errors.ts';
import type { Service } from '../service.ts';
import type { Subscription } from './api.ts';
import type { PubSub } from './pubsub.ts';
import { checkPattern } from './topic.ts';

/**
 * Checks every declared subscription, then subscribes each (a handler alone is a broadcast subscription); resolves
 * them, for the service's withdrawal to end. When one fails to start, those already started are stopped and the
 * error is thrown.
 */
export async function serveSubscriptions(pubsub: PubSub, service: Service): Promise<Subscription[]> {
  const entries = Object.entries(service.subscriptions ?? {});
  for (const [topic, sub] of entries) {
    checkPattern(topic);
    if (typeof sub !== 'function' && typeof sub?.handler !== 'function') {
      throw new MicroError('BAD_REQUEST', `subscription ${JSON.stringify(topic)} of ${service.name}: give a handler or { handler, queue }`);
    }
  }
  const started: Subscription[] = [];
  try {
    for (const [topic, sub] of entries) {
      started.push(await (typeof sub === 'function' ? pubsub.subscribe(topic, sub) : pubsub.subscribe(topic, sub.handler, sub)));
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.unsubscribe()));
    throw err;
  }
  return started;
}
