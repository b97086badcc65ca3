import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect, createInbox, type NatsConnection } from 'nats';
import { greeter } from '../../examples/helloworld/greeter.ts';
import { createMemoryRegistry } from '../../src/mesh/registry/memory.ts';
import { createNode } from '../../src/plugins/node.ts';
import { engineAvailable, runId } from '../support/engines.ts';

const available = await engineAvailable('NATS', 4222);

/** Every answer to a `$SRV` request within `ms`, as a plain NATS client (no micromesh) collects them. */
async function ask(nc: NatsConnection, subject: string, ms = 500): Promise<Array<Record<string, unknown>>> {
  const inbox = createInbox();
  const answers: Array<Record<string, unknown>> = [];
  const sub = nc.subscribe(inbox, { callback: (_err, msg) => answers.push(msg.json()) });
  nc.publish(subject, new Uint8Array(0), { reply: inbox });
  await new Promise((resolve) => setTimeout(resolve, ms));
  sub.unsubscribe();
  return answers;
}

test('nats discovery — a plain NATS client sees micromesh services through $SRV.PING, INFO and STATS', { skip: !available }, async () => {
  const id = runId();
  const registry = createMemoryRegistry();
  const server = await createNode({ id: `${id}-s`, registry, transport: 'nats://127.0.0.1:4222' });
  const client = await createNode({ id: `${id}-c`, registry, transport: 'nats://127.0.0.1:4222' });
  const nc = await connect({ servers: '127.0.0.1:4222' });
  after(async () => {
    await nc.close();
    await client.stop();
    await server.stop();
  });
  await server.serve(greeter);
  await client.client.call('greeter', 'Say.Hello', { name: 'Ada' });
  await client.client.call('greeter', 'Say.Hello', { name: 'Grace' });
  const failing = await client.client.call('greeter', 'Say.Hello', null).catch((e: unknown) => e);
  assert.ok(failing instanceof Error);

  const pings = (await ask(nc, '$SRV.PING')).filter((p) => p.id === `${id}-s`);
  assert.deepEqual(pings, [
    {
      type: 'io.nats.micro.v1.ping_response',
      name: 'greeter',
      id: `${id}-s`,
      version: '1.0.0',
      metadata: { 'micromesh.name': 'greeter', 'micromesh.version': '1.0.0', 'micromesh.node': `${id}-s` },
    },
  ]);
  const [info, ...moreInfo] = await ask(nc, `$SRV.INFO.greeter.${id}-s`);
  assert.equal(moreInfo.length, 0);
  assert.equal(info?.type, 'io.nats.micro.v1.info_response');
  assert.deepEqual(
    ((info?.endpoints ?? []) as Array<{ name: string }>).map((e) => e.name),
    ['Say.Hello', 'Say.Stream'],
  );
  const [stats] = await ask(nc, `$SRV.STATS.greeter.${id}-s`);
  assert.equal(stats?.type, 'io.nats.micro.v1.stats_response');
  assert.ok(typeof stats?.started === 'string' && !Number.isNaN(Date.parse(stats.started)));
  const hello = ((stats?.endpoints ?? []) as Array<Record<string, unknown>>).find((e) => e.name === 'Say.Hello');
  assert.equal(hello?.num_requests, 3);
  assert.equal(hello?.num_errors, 1);
  assert.ok((hello?.processing_time as number) > 0);
  assert.ok((hello?.average_processing_time as number) > 0);
  // A name or id that is not ours gets no answer from this node; the node's own bookkeeping service is not listed.
  assert.deepEqual(await ask(nc, `$SRV.PING.greeter.someone-else`, 200), []);
  assert.equal((await ask(nc, '$SRV.INFO.micromesh_node', 200)).length, 0);
});
