import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerMessage } from '../../../src/mesh/broker/broker.ts';
import { binaryHeaderLines, EventStamps, fromHeaderBlock } from '../../../src/mesh/broker/cloudevents.ts';
import { BinaryBlockWriter } from '../../../src/plugins/nats/header-block.ts';

const bytes = (h: unknown): Buffer => Buffer.from((h as { encode(): Uint8Array }).encode());

test('nats header blocks — the writer gives the bytes of binaryHeaderLines, across changing fields, metadata and full slabs', () => {
  const writer = new BinaryBlockWriter();
  const stamps = new EventStamps('micromesh://n1');
  const blocks: Array<[Buffer, BrokerMessage]> = [];
  for (let i = 0; i < 3000; i++) {
    const m: BrokerMessage = {
      topic: `orders.${i % 3}`,
      body: Buffer.from('{}'),
      contentType: i % 5 === 0 ? 'application/msgpack' : 'application/json',
      metadata: i % 7 === 0 ? { tenant: 'acme', note: `a b%"é ${i}` } : {},
      id: i % 11 === 0 ? `id with space ${i}` : stamps.id(),
      source: i % 13 === 0 ? 'urn:other source' : stamps.source,
      type: i % 17 === 0 ? 'com.example.ünïcode' : `orders.${i % 3}`,
      time: new Date(1_765_000_000_000 + Math.floor(i / 10)).toISOString(),
    };
    blocks.push([bytes(writer.block(m)), m]);
  }
  // Checked after all were written: a block handed out is never written again.
  for (const [block, m] of blocks) {
    assert.equal(block.toString('latin1'), `NATS/1.0\r\n${binaryHeaderLines(m)}\r\n`);
    const back = fromHeaderBlock(m.topic, block.toString('latin1'), m.body, stamps);
    assert.ok(back.ok);
    assert.deepEqual({ ...back.message, body: undefined }, { ...m, body: undefined });
  }
  const big = { ...blocks[0]?.[1], metadata: { big: 'x'.repeat(20_000) } } as BrokerMessage;
  assert.equal(bytes(writer.block(big)).toString('latin1'), `NATS/1.0\r\n${binaryHeaderLines(big)}\r\n`);
});
