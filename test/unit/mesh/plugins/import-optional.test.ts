import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { importOptional, isMissingPackage, packageOf } from '../../../../src/mesh/plugins/import-optional.ts';

const ABSENT = 'micromesh-test-absent-package';

describe('importOptional', () => {
  test('importOptional — a package that is not installed is UNAVAILABLE with the line that installs it', async () => {
    await assert.rejects(importOptional(ABSENT, { plugin: 'nats', concern: 'registry' }), (err) => {
      assert.ok(err instanceof MicroError);
      assert.equal(err.reason, 'UNAVAILABLE');
      assert.equal(err.message, `the nats registry needs the "${ABSENT}" package: npm install ${ABSENT}`);
      assert.equal((err.cause as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
      return true;
    });
  });

  test('importOptional — a scoped subpath names its package, and a custom install line is used', async () => {
    await assert.rejects(
      importOptional('@micromesh-test/absent/jetstream', { plugin: 'redis', install: 'npm install @micromesh-test/absent@2' }),
      { message: 'the redis plugin needs the "@micromesh-test/absent" package: npm install @micromesh-test/absent@2' },
    );
  });

  test('importOptional — an installed package is imported', async () => {
    const msgpackr = await importOptional<typeof import('msgpackr')>('msgpackr', { plugin: 'msgpack', concern: 'codec' });
    assert.deepEqual(msgpackr.unpack(msgpackr.pack({ a: [1, 'b'] })), { a: [1, 'b'] });
  });

  test('importOptional — a present module missing its own dependency fails with the original error', async () => {
    const fixture = new URL('../../../fixtures/plugins/needs-absent-dependency.mjs', import.meta.url).href;
    await assert.rejects(importOptional(fixture, { plugin: 'fixture' }), (err) => {
      assert.ok(!(err instanceof MicroError));
      assert.equal((err as { code?: string }).code, 'ERR_MODULE_NOT_FOUND');
      assert.match((err as Error).message, /micromesh-test-absent-dependency/);
      return true;
    });
  });

  test('importOptional — a subpath an installed package does not export fails with the original error', async () => {
    await assert.rejects(importOptional('msgpackr/no-such-entry', { plugin: 'msgpack' }), (err) => {
      assert.ok(!(err instanceof MicroError));
      assert.equal((err as { code?: string }).code, 'ERR_PACKAGE_PATH_NOT_EXPORTED');
      return true;
    });
  });

  test('importOptional — packageOf reads bare specifiers only', () => {
    assert.equal(packageOf('nats'), 'nats');
    assert.equal(packageOf('nats/lib/jetstream'), 'nats');
    assert.equal(packageOf('@nats-io/jetstream/internal'), '@nats-io/jetstream');
    assert.equal(packageOf('./local.js'), undefined);
    assert.equal(packageOf('/abs/path.js'), undefined);
    assert.equal(packageOf('node:fs'), undefined);
    assert.equal(packageOf('file:///x.mjs'), undefined);
  });

  test('importOptional — an error naming another missing package is not this package missing', () => {
    const err = Object.assign(new Error("Cannot find package 'ioredis' imported from /app/node_modules/bullmq/index.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    assert.equal(isMissingPackage(err, 'bullmq'), false);
    assert.equal(isMissingPackage(err, 'ioredis'), true);
    assert.equal(isMissingPackage(Object.assign(new Error("Cannot find module 'ioredis'"), { code: 'MODULE_NOT_FOUND' }), 'ioredis'), true);
    assert.equal(isMissingPackage(new Error("Cannot find package 'ioredis'"), 'ioredis'), false, 'no code, no match');
  });
});
