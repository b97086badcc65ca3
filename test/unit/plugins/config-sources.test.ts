import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathOfKey } from '../../../src/mesh/config/kv-tree.ts';
import { MicroError } from '../../../src/mesh/errors.ts';
import { prefixEnd } from '../../../src/plugins/etcd/client.ts';
import { etcdConfigTarget } from '../../../src/plugins/etcd/config.ts';
import { natsConfigTarget } from '../../../src/plugins/nats/config.ts';

const bad = (pattern: RegExp) => (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST' && pattern.test(err.detail);

test('nats config source — bucket and dotted prefix from the URL path, else the options, else micro_config and no prefix', () => {
  assert.deepEqual(natsConfigTarget(new URL('nats://127.0.0.1:4222/settings/app/prod'), {}), { bucket: 'settings', prefix: 'app.prod' });
  assert.deepEqual(natsConfigTarget(new URL('nats://127.0.0.1:4222'), { bucket: 'b', prefix: 'p' }), { bucket: 'b', prefix: 'p' });
  assert.deepEqual(natsConfigTarget(new URL('nats://127.0.0.1:4222'), {}), { bucket: 'micro_config', prefix: '' });
  assert.throws(() => natsConfigTarget(new URL('nats://h/bad.bucket/app'), {}), bad(/bucket "bad\.bucket"/));
  assert.throws(() => natsConfigTarget(new URL('nats://h/b/a*b'), {}), bad(/bad key prefix "a\*b"/));
  assert.throws(() => natsConfigTarget(new URL('nats://h/b?watch=no'), {}), bad(/unknown setting "watch"/));
});

test('etcd config source — endpoint and prefix from the URL; credentials and query settings are refused', () => {
  assert.deepEqual(etcdConfigTarget(new URL('etcd://10.0.0.1:2379/apps/web/'), {}), { endpoint: 'http://10.0.0.1:2379', prefix: '/apps/web' });
  assert.deepEqual(etcdConfigTarget(new URL('etcd://127.0.0.1:2379'), {}), { endpoint: 'http://127.0.0.1:2379', prefix: '/micro/config' });
  assert.throws(() => etcdConfigTarget(new URL('etcd://root:secret@127.0.0.1:2379/x'), {}), (err: unknown) => err instanceof MicroError && /credentials/.test(err.detail) && !/secret/.test(err.detail));
  assert.throws(() => etcdConfigTarget(new URL('etcd://127.0.0.1:2379/x?tls=1'), {}), bad(/unknown setting "tls"/));
});

test('etcd client — the range end of a prefix is the prefix with its last byte incremented', () => {
  assert.equal(Buffer.from(prefixEnd('/a/b'), 'base64').toString(), '/a/c');
  assert.deepEqual([...Buffer.from(prefixEnd('a\u00ff'), 'base64')], [0x61, 0xc3, 0xc0], 'bytes, not characters');
});

test('kv layout — keys under the prefix are paths; the prefix itself and other keys are not', () => {
  const layout = { prefix: '/micro/config', separator: '/', where: 'etcd' };
  assert.deepEqual(pathOfKey('/micro/config/db/port', layout), ['db', 'port']);
  assert.equal(pathOfKey('/micro/config', layout), undefined);
  assert.equal(pathOfKey('/micro/configX/a', layout), undefined);
  assert.deepEqual(pathOfKey('db.port', { prefix: '', separator: '.', where: 'nats' }), ['db', 'port']);
});
