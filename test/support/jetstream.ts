import type { NatsConnection } from 'nats';
import * as nats from 'nats';
import { createJetStreamEvents } from '../../src/plugins/nats/events.ts';
import { frontOf } from '../conformance/events.ts';

/** JetStream events over an open connection the test owns: streams under `prefix`, in memory, polled every 200 ms. */
export function jetStreamFront(nc: NatsConnection, prefix: string): ReturnType<typeof frontOf> {
  return frontOf(createJetStreamEvents({ value: nc, release: async () => {} }, nats, { streamPrefix: prefix, storage: 'memory', pollMs: 200 }));
}
