/**
 * Pub/sub implementations for bench/suites/pubsub.ts, each with a publisher and a subscriber side: raw nats.js and
 * raw ioredis (the ceilings), Moleculer's emit → event handler over its NATS and Redis transporters, and micromesh
 * on its NATS, Redis and mesh-native brokers. Every message is the same ~100 B JSON object `{ t, pad }`, where `t`
 * is the publisher's clock (performance.timeOrigin + now) so the subscriber can time it. `raw-nats-ce` and
 * `raw-redis-ce` are the raw clients doing what micromesh does on the wire (CloudEvents binary-mode headers through
 * nats.js's own `headers()`, read back by the subscriber; one structured CloudEvents JSON per Redis message): the
 * like-for-like ceilings; `raw-nats-ce-wire` sends micromesh's header bytes encoded once and reads none, and
 * `micromesh-plain` is the NATS broker with `cloudevents=off`.
 */
import { randomUUID } from 'node:crypto';
import { connect, headers, type NatsConnection } from 'nats';
import { Redis } from 'ioredis';
import type { MeshNode } from '../../src/mesh/mesh-node.ts';
import { createNode } from '../../src/plugins/node.ts';

export const NATS_URL = 'nats://127.0.0.1:4222';
export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface BenchMessage {
  t: number;
  pad: string;
}

/** What a publisher does: send one message (a promise when the implementation confirms), and close. */
export interface PubSide {
  publish(message: BenchMessage): unknown;
  close(): Promise<void>;
}

/** What a subscriber does: call `onMessage` with each message's `t`, and close. */
export interface SubSide {
  close(): Promise<void>;
}

export interface PubSubImpl {
  /** The bench case this implementation is measured in. */
  readonly case: 'pubsub-nats' | 'pubsub-redis' | 'pubsub-mesh';
  /** The row's impl: `micromesh`, `raw-nats`, `raw-redis`, `moleculer`. */
  readonly impl: string;
  /** Its name on the subscriber's command line. */
  readonly id: string;
  publisher(topic: string, env: PubSubEnv): Promise<PubSide>;
  subscriber(topic: string, env: PubSubEnv, onMessage: (t: number) => void): Promise<SubSide>;
}

/** Settings both sides share. */
export interface PubSubEnv {
  /** The mDNS port of the mesh-native case. */
  mdnsPort: number;
}

const now = (): number => performance.timeOrigin + performance.now();
export const makeMessage = (): BenchMessage => ({ t: now(), pad: 'x'.repeat(70) });
export const ageUs = (t: number): number => Math.max(1, Math.round((now() - t) * 1000));

const rawNats: PubSubImpl = {
  case: 'pubsub-nats',
  impl: 'raw-nats',
  id: 'raw-nats',
  async publisher(topic) {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    return {
      publish: (m) => nc.publish(topic, Buffer.from(JSON.stringify(m))),
      close: () => nc.drain(),
    };
  },
  async subscriber(topic, _env, onMessage) {
    const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
    nc.subscribe(topic, { callback: (_err, msg) => onMessage((JSON.parse(Buffer.from(msg.data).toString()) as BenchMessage).t) });
    await nc.flush();
    return { close: () => nc.drain() };
  },
};

const rawNatsCe: PubSubImpl = {
  case: 'pubsub-nats',
  impl: 'raw-nats-ce',
  id: 'raw-nats-ce',
  async publisher(topic) {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const prefix = randomUUID();
    let n = 0;
    return {
      publish: (m) => {
        const h = headers();
        h.set('ce-specversion', '1.0');
        h.set('ce-id', `${prefix}-${n++}`);
        h.set('ce-source', 'urn:bench');
        h.set('ce-type', topic);
        h.set('ce-time', new Date().toISOString());
        h.set('content-type', 'application/json');
        nc.publish(topic, Buffer.from(JSON.stringify(m)), { headers: h });
      },
      close: () => nc.drain(),
    };
  },
  async subscriber(topic, _env, onMessage) {
    const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
    nc.subscribe(topic, {
      callback: (_err, msg) => {
        if (msg.headers?.get('ce-id') === '') return;
        onMessage((JSON.parse(Buffer.from(msg.data).toString()) as BenchMessage).t);
      },
    });
    await nc.flush();
    return { close: () => nc.drain() };
  },
};

/**
 * Raw nats.js carrying the bytes of micromesh's binary-mode CloudEvents headers, encoded once and never read: what
 * the wire, the server and nats.js's own parsing leave of the raw rate for a message with that header block.
 */
const rawNatsCeWire: PubSubImpl = {
  case: 'pubsub-nats',
  impl: 'raw-nats-ce-wire',
  id: 'raw-nats-ce-wire',
  async publisher(topic) {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const block = Buffer.from(`NATS/1.0\r\nce-specversion: 1.0\r\nce-id: 0123456789abc-1a2b\r\nce-source: micromesh://bench-pub-12345\r\nce-type: ${topic}\r\nce-time: 2026-12-07T14:09:27.123Z\r\ncontent-type: application/json\r\n\r\n`, 'latin1');
    const h = { encode: () => block } as never;
    return {
      publish: (m) => nc.publish(topic, Buffer.from(JSON.stringify(m)), { headers: h }),
      close: () => nc.drain(),
    };
  },
  // Reads the body alone, like raw-nats.
  subscriber: (topic, env, onMessage) => rawNats.subscriber(topic, env, onMessage),
};

const rawRedisCe: PubSubImpl = {
  case: 'pubsub-redis',
  impl: 'raw-redis-ce',
  id: 'raw-redis-ce',
  async publisher(topic) {
    const redis = new Redis(REDIS_URL);
    const prefix = randomUUID();
    let n = 0;
    return {
      publish: (m) =>
        redis.publish(topic, JSON.stringify({ specversion: '1.0', id: `${prefix}-${n++}`, source: 'urn:bench', type: topic, time: new Date().toISOString(), datacontenttype: 'application/json', data: m })),
      close: async () => void (await redis.quit()),
    };
  },
  async subscriber(topic, _env, onMessage) {
    const redis = new Redis(REDIS_URL);
    redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => onMessage((JSON.parse(message.toString()) as { data: BenchMessage }).data.t));
    await redis.subscribe(topic);
    return { close: async () => void redis.disconnect() };
  },
};

const rawRedis: PubSubImpl = {
  case: 'pubsub-redis',
  impl: 'raw-redis',
  id: 'raw-redis',
  async publisher(topic) {
    const redis = new Redis(REDIS_URL);
    return {
      publish: (m) => redis.publish(topic, JSON.stringify(m)),
      close: async () => void (await redis.quit()),
    };
  },
  async subscriber(topic, _env, onMessage) {
    const redis = new Redis(REDIS_URL);
    redis.on('messageBuffer', (_channel: Buffer, message: Buffer) => onMessage((JSON.parse(message.toString()) as BenchMessage).t));
    await redis.subscribe(topic);
    return { close: async () => void redis.disconnect() };
  },
};

/** What the bench uses of Moleculer's ServiceBroker (moleculer lives in bench/peers' own node_modules). */
interface MoleculerBroker {
  start(): Promise<void>;
  stop(): Promise<void>;
  emit(event: string, payload: unknown): Promise<void>;
  createService(schema: object): unknown;
  waitForServices(names: string | string[], timeoutMs?: number): Promise<void>;
}

// A computed specifier keeps the type checker (and any eager loader) away from moleculer itself.
const MOLECULER = 'moleculer';

async function moleculerBroker(nodeID: string, kind: 'nats' | 'redis'): Promise<MoleculerBroker> {
  const { ServiceBroker } = (await import(MOLECULER)) as { ServiceBroker: new (options: object) => MoleculerBroker };
  const transporter = kind === 'nats' ? { type: 'NATS' as const, options: { url: NATS_URL } } : { type: 'Redis' as const, options: { host: '127.0.0.1', port: 6379 } };
  return new ServiceBroker({ nodeID, transporter, logger: false, serializer: 'JSON' });
}

function moleculer(kind: 'nats' | 'redis'): PubSubImpl {
  return {
    case: kind === 'nats' ? 'pubsub-nats' : 'pubsub-redis',
    impl: 'moleculer',
    id: `moleculer-${kind}`,
    async publisher(topic) {
      const broker = await moleculerBroker(`bench-pub-${process.pid}`, kind);
      await broker.start();
      await broker.waitForServices(['bench-sub'], 10_000);
      return {
        publish: (m) => broker.emit(topic, m),
        close: () => broker.stop(),
      };
    },
    async subscriber(topic, _env, onMessage) {
      const broker = await moleculerBroker(`bench-sub-${process.pid}`, kind);
      broker.createService({ name: 'bench-sub', events: { [topic]: (ctx: { params: BenchMessage }) => onMessage(ctx.params.t) } });
      await broker.start();
      return { close: () => broker.stop() };
    },
  };
}

/** micromesh on one broker; `plain` is the NATS broker with `cloudevents=off` (the body alone, no headers). */
function micromesh(kind: 'nats' | 'redis' | 'mesh', plain = false): PubSubImpl {
  const url = kind === 'nats' ? (plain ? `${NATS_URL}?cloudevents=off` : NATS_URL) : REDIS_URL;
  const options = (id: string, env: PubSubEnv) =>
    kind === 'mesh' ? { id, broker: 'mesh', mdns: { port: env.mdnsPort } } : { id, broker: url, registry: 'memory', transport: 'memory', address: `mem://${id}` };
  return {
    case: `pubsub-${kind}`,
    impl: plain ? 'micromesh-plain' : 'micromesh',
    id: plain ? `micromesh-${kind}-plain` : `micromesh-${kind}`,
    async publisher(topic, env) {
      const node: MeshNode = await createNode(options(`bench-pub-${process.pid}`, env));
      if (kind === 'mesh') {
        const broker = node.broker as unknown as { knownRemote(): Promise<number> };
        const deadline = Date.now() + 10_000;
        while ((await broker.knownRemote()) < 1) {
          if (Date.now() > deadline) throw new Error('the publisher never saw the subscriber');
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return { publish: (m) => node.publish(topic, m), close: () => node.stop() };
    },
    async subscriber(topic, env, onMessage) {
      const node = await createNode(options(`bench-sub-${process.pid}`, env));
      await node.subscribe(topic, (m: BenchMessage) => onMessage(m.t));
      return { close: () => node.stop() };
    },
  };
}

/** Every implementation, in the order they run. */
export const pubsubImpls: readonly PubSubImpl[] = [
  rawNats,
  rawNatsCe,
  rawNatsCeWire,
  moleculer('nats'),
  micromesh('nats'),
  micromesh('nats', true),
  rawRedis,
  rawRedisCe,
  moleculer('redis'),
  micromesh('redis'),
  micromesh('mesh'),
];
