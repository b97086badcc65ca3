import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerMessage } from '../../../../src/mesh/broker/broker.ts';
import { binaryHeaderLines, decodeHeaderValue, EventStamps, encodeHeaderValue, fromBinary, fromHeaderBlock, fromStructured, toStructured } from '../../../../src/mesh/broker/cloudevents.ts';

const message: BrokerMessage = {
  topic: 'orders.created',
  body: Buffer.from('{"id":1}'),
  contentType: 'application/json',
  metadata: { tenant: 'acme', 'x-Note': 'a b%"é' },
  id: 'id-1',
  source: 'micromesh://n1',
  type: 'orders.created',
  time: '2026-01-02T03:04:05.000Z',
};

const NATS = new EventStamps('nats');

test('cloudevents — stamps: ids unique per source (a random prefix and a counter), the time is ISO and made once a millisecond', () => {
  const a = new EventStamps('s');
  const b = new EventStamps('s');
  const ids = new Set([a.id(), a.id(), a.id(), b.id(), b.id()]);
  assert.equal(ids.size, 5);
  const t = a.time();
  assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Math.abs(Date.parse(t) - Date.now()) < 1000);
  assert.equal(a.source, 's');
});

test('cloudevents — header values: space, quote, percent and non-ASCII are percent-encoded and come back', () => {
  assert.equal(encodeHeaderValue('plain-value'), 'plain-value');
  assert.equal(encodeHeaderValue('a b%"é'), 'a%20b%25%22%C3%A9');
  assert.equal(decodeHeaderValue(encodeHeaderValue('a b%"é')), 'a b%"é');
  assert.equal(decodeHeaderValue('100%'), '100%');
});

test('cloudevents — binary mode: lowercase ce-* and content-type, metadata as headers; read back in any case', () => {
  const lines = binaryHeaderLines(message);
  assert.ok(lines.endsWith('\r\n'));
  const headers = lines
    .slice(0, -2)
    .split('\r\n')
    .map((line) => line.split(': ') as [string, string]);
  assert.deepEqual(
    headers.map(([k]) => k),
    ['ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-time', 'content-type', 'tenant', 'x-Note'],
  );
  const shouted = headers.map(([k, v]) => [k.startsWith('ce-') ? k.toUpperCase() : k, v] as [string, string]);
  const parsed = fromBinary('orders.created', shouted, message.body, NATS);
  assert.ok(parsed.ok);
  assert.deepEqual({ ...parsed.message, body: undefined }, { ...message, body: undefined });
  const fromBlock = fromHeaderBlock('orders.created', `NATS/1.0\r\n${lines}\r\n`, message.body, NATS);
  assert.ok(fromBlock.ok);
  assert.deepEqual({ ...fromBlock.message, body: undefined }, { ...message, body: undefined });
});

test('cloudevents — header block: names in any case or padded, values trimmed, percent-decoded, a repeat keeps the last', () => {
  const block = [
    'NATS/1.0',
    'CE-SpecVersion: 1.0',
    'ce-id:id-2',
    ' ce-source :  micromesh://n2  ',
    'Ce-Type: orders.paid',
    'ce-time: 2026-01-02T03:04:05.000Z',
    'ce-time: 2026-01-02T03:04:06.000Z',
    'Content-Type: application/msgpack',
    'tenant: a%20b',
    'ce-traceparent: 00-ab',
    '',
    '',
  ].join('\r\n');
  const parsed = fromHeaderBlock('orders.paid', block, Buffer.from([1]), NATS);
  assert.ok(parsed.ok);
  const { id, source, type, time, contentType, metadata } = parsed.message;
  assert.deepEqual({ id, source, type, time, contentType, metadata }, { id: 'id-2', source: 'micromesh://n2', type: 'orders.paid', time: '2026-01-02T03:04:06.000Z', contentType: 'application/msgpack', metadata: { tenant: 'a b', traceparent: '00-ab' } });
  const badTime = fromHeaderBlock('t', 'NATS/1.0\r\nce-specversion: 1.0\r\nce-id: 1\r\nce-source: s\r\nce-type: t\r\nce-time: 2026-01-02 03:04\r\n\r\n', Buffer.alloc(0), NATS);
  assert.ok(!badTime.ok && /ce-time/.test(badTime.reason));
});

test('cloudevents — header block in micromesh\'s own layout: read in order, a later repeat still wins, odd spacing falls back', () => {
  const own = `NATS/1.0\r\n${binaryHeaderLines(message)}`;
  const repeated = fromHeaderBlock('orders.created', `${own}ce-id: id-9\r\n\r\n`, message.body, NATS);
  assert.ok(repeated.ok && repeated.message.id === 'id-9' && repeated.message.metadata.tenant === 'acme');
  const spaced = fromHeaderBlock('orders.created', own.replace('ce-id: id-1', 'ce-id:  id-1 ').concat('\r\n'), message.body, NATS);
  assert.ok(spaced.ok && spaced.message.id === 'id-1');
  const reordered = fromHeaderBlock('orders.created', own.replace(/ce-type: [^\r]*\r\n/, '').concat('ce-type: late\r\n\r\n'), message.body, NATS);
  assert.ok(reordered.ok && reordered.message.type === 'late' && reordered.message.time === message.time);
  const empty = fromHeaderBlock('orders.created', own.replace('ce-id: id-1', 'ce-id: ').concat('\r\n'), message.body, NATS);
  assert.ok(!empty.ok && empty.reason === 'ce-id is missing');
});

test('cloudevents — binary mode: no ce-* header is a plain message; a bad or partial CloudEvent is refused with the reason', () => {
  const plain = fromBinary('t', [['content-type', 'application/msgpack']], Buffer.from([1]), NATS);
  assert.ok(plain.ok && plain.message.source === 'nats' && plain.message.type === 't' && plain.message.contentType === 'application/msgpack');
  const old = fromBinary('t', [['ce-specversion', '0.3']], Buffer.alloc(0), NATS);
  assert.ok(!old.ok && /ce-specversion is "0.3"/.test(old.reason));
  const noType = fromBinary('t', [['ce-specversion', '1.0'], ['ce-id', '1'], ['ce-source', 's']], Buffer.alloc(0), NATS);
  assert.ok(!noType.ok && noType.reason === 'ce-type is missing');
  const badTime = fromBinary('t', [['ce-specversion', '1.0'], ['ce-id', '1'], ['ce-source', 's'], ['ce-type', 'x'], ['ce-time', 'yesterday']], Buffer.alloc(0), NATS);
  assert.ok(!badTime.ok && /ce-time/.test(badTime.reason));
});

test('cloudevents — structured mode: JSON data embedded, other types as data_base64, odd metadata keys under metadata; it reads back', () => {
  const text = toStructured(message);
  const e = JSON.parse(text);
  assert.deepEqual(e.data, { id: 1 });
  assert.equal(e.tenant, 'acme');
  assert.deepEqual(e.metadata, { 'x-Note': 'a b%"é' });
  const back = fromStructured('orders.created', text);
  assert.ok(back.ok);
  assert.deepEqual(back.message.decoded, { value: { id: 1 } });
  assert.deepEqual(back.message.metadata, message.metadata);
  const packed = JSON.parse(toStructured({ ...message, contentType: 'application/msgpack', body: Buffer.from([0x81, 0xa1]) }));
  assert.equal(packed.data_base64, Buffer.from([0x81, 0xa1]).toString('base64'));
  const empty = JSON.parse(toStructured({ ...message, body: Buffer.alloc(0) }));
  assert.ok(!('data' in empty));
});

test('cloudevents — structured mode: what is not a CloudEvent is refused with the reason', () => {
  const reasons = ['nope', '[1]', '{"specversion":"0.3","id":"1","source":"s","type":"t"}', '{"specversion":"1.0","source":"s","type":"t"}', '{"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"application/xml","data":{}}'].map((raw) => {
    const r = fromStructured('t', raw);
    assert.ok(!r.ok, raw);
    return r.reason;
  });
  assert.match(reasons[0] as string, /not JSON/);
  assert.match(reasons[1] as string, /not a JSON object/);
  assert.match(reasons[2] as string, /specversion/);
  assert.match(reasons[3] as string, /id is missing/);
  assert.match(reasons[4] as string, /data is not a string/);
});
