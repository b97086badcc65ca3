import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { normalizeScheme, parseTarget, redactUrl } from '../../../../src/mesh/plugins/target.ts';

const badRequest = (pattern: RegExp) => (err: unknown) => err instanceof MicroError && err.reason === 'BAD_REQUEST' && pattern.test(err.message);

describe('plugin target', () => {
  test('plugin target — a bare name has no URL and reads case-insensitively', () => {
    assert.deepEqual(parseTarget('registry', 'mdns'), { name: 'mdns', url: undefined, raw: 'mdns' });
    assert.equal(parseTarget('registry', ' MDNS ').name, 'mdns');
  });

  test('plugin target — a URL takes its name from the scheme and keeps the raw text', () => {
    const target = parseTarget('registry', 'NATS://u:p@127.0.0.1:4222?name=x');
    assert.equal(target.name, 'nats');
    assert.equal(target.url?.hostname, '127.0.0.1');
    assert.equal(target.url?.port, '4222');
    assert.equal(target.url?.searchParams.get('name'), 'x');
    assert.equal(target.raw, 'NATS://u:p@127.0.0.1:4222?name=x');
    assert.equal(parseTarget('registry', 'mdns:').name, 'mdns');
    assert.equal(parseTarget('registry', 'mdns://?interface=0.0.0.0').url?.searchParams.get('interface'), '0.0.0.0');
  });

  test('plugin target — a malformed URL is BAD_REQUEST naming it, without its password', () => {
    assert.throws(() => parseTarget('store', 'postgres://app:s3cret@db:99999/x'), badRequest(/^malformed store URL "postgres:\/\/app:\*\*\*@db:99999\/x"/));
    assert.throws(() => parseTarget('store', 'postgres://app:s3cret@db:99999/x'), (err: Error) => !err.message.includes('s3cret'));
  });

  test('plugin target — text that is neither a name nor a URL is BAD_REQUEST', () => {
    assert.throws(() => parseTarget('registry', '127.0.0.1:4222'), badRequest(/^bad registry "127\.0\.0\.1:4222": expected a plugin name/));
    assert.throws(() => parseTarget('registry', ''), badRequest(/^bad registry ""/));
  });

  test('plugin target — schemes normalise and passwords are redacted anywhere in a text', () => {
    assert.equal(normalizeScheme('NATS://'), 'nats');
    assert.equal(normalizeScheme('rediss:'), 'rediss');
    assert.equal(redactUrl('redis redis://:pw@h:6379 and postgres://u:pw@h/db'), 'redis redis://:***@h:6379 and postgres://u:***@h/db');
    assert.equal(redactUrl('nats://h:4222'), 'nats://h:4222');
  });
});
