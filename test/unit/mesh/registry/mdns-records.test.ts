import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { decodeInstance, encodeInstance, instanceRecordName, mdnsNames, serviceRecordName } from '../../../../src/mesh/registry/mdns-records.ts';
import type { Endpoint } from '../../../../src/mesh/registry/registry.ts';
import { svc } from '../../../conformance/registry.ts';

const names = mdnsNames('Micromesh.Local.');

describe('mdns records', () => {
  test('mdns records — names are lowercase DNS names with labels of at most 63 bytes, one per node of a version', () => {
    const long = 'Go.Micro.Srv.' + 'x'.repeat(200);
    const instance = instanceRecordName(names, long, '1.0.0', 'Node-ABC');
    const sub = serviceRecordName(names, long);
    for (const name of [instance, sub]) {
      assert.equal(name, name.toLowerCase());
      assert.ok(name.split('.').every((label) => label.length > 0 && label.length <= 63), name);
    }
    assert.ok(instance.endsWith('._micromesh._tcp.micromesh.local'));
    assert.ok(sub.endsWith('._sub._micromesh._tcp.micromesh.local'));
    assert.notEqual(instanceRecordName(names, long, '1.0.1', 'Node-ABC'), instance);
    assert.notEqual(instanceRecordName(names, long, '1.0.0', 'node-abc'), instance, 'ids differing in case stay apart');
    assert.equal(instanceRecordName(names, long, '1.0.0', 'Node-ABC'), instance);
  });

  test('mdns records — an instance round-trips through TXT strings of at most 255 bytes', () => {
    const service = svc('greeter', '2', ['n1'], [{ name: 'Say.Hello', metadata: { idempotent: 'true' }, request: { name: 'req', type: 'Req', values: [{ name: 'name', type: 'string' }] } }]);
    const txt = encodeInstance(service, service.nodes[0], 15_000);
    assert.ok(txt.every((part) => part.length <= 255));
    const decoded = decodeInstance(txt);
    assert.equal(decoded.ttlMs, 15_000);
    assert.deepEqual(decoded.service, service);
  });

  test('mdns records — a large description is deflated and chunked, and still round-trips', () => {
    const endpoints: Endpoint[] = Array.from({ length: 200 }, (_, i) => ({
      name: `Handler${i}.Method${i}`,
      metadata: { idempotent: String(i % 2 === 0) },
      request: { name: 'Request', type: `Request${i}`, values: [{ name: 'id', type: 'string' }, { name: 'body', type: 'bytes' }] },
      response: { name: 'Response', type: `Response${i}` },
    }));
    const service = svc('big', '1', ['n1'], endpoints);
    const txt = encodeInstance(service, service.nodes[0], 15_000);
    assert.match(txt[0].toString(), /^mm=1;e=z;p=\d+$/);
    const total = txt.reduce((n, p) => n + p.length, 0);
    assert.ok(total < JSON.stringify(service).length / 3, `deflated to ${total} bytes`);
    assert.ok(txt.length > 3 && txt.every((part) => part.length <= 255));
    assert.deepEqual(decodeInstance(txt).service.endpoints, endpoints);
  });

  test('mdns records — garbled or foreign TXT data throws instead of decoding', () => {
    const service = svc('greeter', '1', ['n1']);
    const good = encodeInstance(service, service.nodes[0], 1_000);
    const cases: unknown[] = [
      undefined,
      'plain string',
      [Buffer.from('txtvers=1'), Buffer.from('path=/')],
      [Buffer.from('mm=1;e=j;p=9'), ...good.slice(1)],
      [Buffer.from('mm=1;e=x;p=1'), good[1]],
      [good[0], Buffer.from('{not json')],
      [Buffer.from('mm=1;e=z;p=1'), Buffer.from('not deflate data')],
      [Buffer.from('mm=1;e=j;p=1'), Buffer.from(JSON.stringify({ n: 'x', v: '1', i: 'n1', a: 'h', t: 'soon' }))],
      [Buffer.from('mm=1;e=j;p=1'), Buffer.from(JSON.stringify({ n: 'x', v: '1', i: 5, a: 'h', t: 1000 }))],
      [Buffer.from('mm=1;e=j;p=1'), Buffer.from('null')],
      [Buffer.from('mm=1;e=z;p=1'), deflateRawSync(Buffer.alloc(4 << 20, 32))],
    ];
    for (const data of cases) assert.throws(() => decodeInstance(data), Error, JSON.stringify(data)?.slice(0, 80));
  });
});
