import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { threadId } from 'node:worker_threads';
import protobuf from 'protobufjs';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { type Codec, ContentType } from '../../../../src/mesh/codec/codec.ts';
import { type Codecs, createCodecs, defaultCodecsOptions } from '../../../../src/mesh/codec/codecs.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { bigHello, bigValue, sampleProtoFile } from './fixtures/samples.ts';

const THRESHOLD = 4096;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const isReason = (reason: string, text?: string) => (err: unknown) =>
  err instanceof MicroError && err.reason === reason && (text === undefined || err.detail.includes(text));

test('codecs — defaults: one thread at most, a measured threshold, no proto files', () => {
  const defaults = defaultCodecsOptions();
  assert.equal(defaults.maxThreads, 1);
  assert.ok(defaults.offloadThresholdBytes > 10_000);
  assert.deepEqual(defaults.protoFiles, []);
});

describe('codecs registry', () => {
  const codecs = createCodecs();
  after(() => codecs.close());

  test('codecs — every built-in content type has its codec', () => {
    for (const type of Object.values(ContentType)) assert.equal(codecs.get(type).contentType, type);
  });

  test('codecs — an unknown content type is BAD_REQUEST naming it', async () => {
    assert.throws(() => codecs.get('text/x-nope'), isReason('BAD_REQUEST', 'text/x-nope'));
    await assert.rejects(codecs.decodeAsync('text/x-nope', new Uint8Array(1)), isReason('BAD_REQUEST', 'text/x-nope'));
    await assert.rejects(codecs.encodeAsync('text/x-nope', 1), isReason('BAD_REQUEST', 'text/x-nope'));
  });

  test('codecs — parameters and case in the content type are ignored', () => {
    assert.equal(codecs.get('Application/JSON; charset=utf-8').contentType, ContentType.JSON);
  });

  test('codecs — register adds a codec for a new content type', async () => {
    const upper: Codec = {
      contentType: 'text/upper',
      encode: (value) => Buffer.from(String(value).toUpperCase()),
      decode: (bytes) => Buffer.from(bytes).toString(),
    };
    codecs.register(upper);
    assert.equal(codecs.get('text/upper'), upper);
    assert.equal(await codecs.decodeAsync('text/upper', await codecs.encodeAsync('text/upper', 'abc')), 'ABC');
  });

  test('codecs — encode and decode errors reject rather than throw', async () => {
    await assert.rejects(codecs.encodeAsync(ContentType.JSON, 1n), isReason('BAD_REQUEST'));
    await assert.rejects(codecs.decodeAsync(ContentType.JSON, Buffer.from('{')), isReason('DECODE_FAILED', ContentType.JSON));
  });
});

describe('codecs offload', () => {
  let codecs: Codecs;
  before(() => {
    codecs = createCodecs({ offloadThresholdBytes: THRESHOLD, protoFiles: [sampleProtoFile] });
  });
  after(() => codecs.close());

  test('codecs — small bodies decode on the main thread and never start the pool', async () => {
    for (let i = 0; i < 20; i++) assert.deepEqual(await codecs.decodeAsync(ContentType.JSON, json({ i })), { i });
    const body = Buffer.alloc(THRESHOLD - 1, 0x20);
    body[0] = 0x31;
    assert.equal(await codecs.decodeAsync(ContentType.JSON, body), 1);
    await codecs.encodeAsync(ContentType.MSGPACK, bigValue(THRESHOLD * 4));
    const stats = codecs.stats();
    assert.equal(stats.poolThreads, 0);
    assert.deepEqual(stats.workerThreadIds, []);
    assert.equal(stats.offloaded, 0);
    assert.equal(stats.main, 22);
  });

  test('codecs — a body at the threshold decodes in a worker thread', async () => {
    const body = Buffer.alloc(THRESHOLD, 0x20);
    body[0] = 0x32;
    assert.equal(await codecs.decodeAsync(ContentType.JSON, body), 2);
    const stats = codecs.stats();
    assert.equal(stats.offloaded, 1);
    assert.equal(stats.workerThreadIds.length, 1);
    assert.notEqual(stats.workerThreadIds[0], threadId);
    assert.ok(stats.poolThreads >= 1);
  });

  test('codecs — big JSON, msgpack and protobuf bodies come back equal to a main-thread decode', async () => {
    const value = bigValue(50_000);
    for (const type of [ContentType.JSON, ContentType.MSGPACK]) {
      const bytes = codecs.get(type).encode(value);
      assert.deepStrictEqual(await codecs.decodeAsync(type, bytes), codecs.get(type).decode(bytes));
    }
    const pb = codecs.get(ContentType.PROTOBUF);
    const bytes = pb.encode(bigHello(50_000), 'sample.Hello');
    const decoded = (await codecs.decodeAsync(ContentType.PROTOBUF, bytes, 'sample.Hello')) as { blob: unknown };
    assert.deepStrictEqual(decoded, pb.decode(bytes, 'sample.Hello'));
    assert.ok(Buffer.isBuffer(decoded.blob));
    assert.ok(codecs.stats().offloaded >= 3);
  });

  test('codecs — garbage decoded in a worker is DECODE_FAILED naming the content type', async () => {
    const garbage = Buffer.alloc(THRESHOLD * 2, 0x7b);
    await assert.rejects(codecs.decodeAsync(ContentType.JSON, garbage), isReason('DECODE_FAILED', ContentType.JSON));
    await assert.rejects(
      codecs.decodeAsync(ContentType.PROTOBUF, Buffer.alloc(THRESHOLD, 0xff), 'sample.Hello'),
      isReason('DECODE_FAILED', 'sample.Hello'),
    );
    await assert.rejects(codecs.decodeAsync(ContentType.PROTOBUF, Buffer.alloc(THRESHOLD), 'sample.Nope'), isReason('BAD_REQUEST', 'sample.Nope'));
    assert.equal(codecs.stats().fallbacks, 0);
  });

  test('codecs — the caller keeps its buffer: views are copied, whole buffers are not detached', async () => {
    const bytes = json(bigValue(THRESHOLD * 2));
    const host = Buffer.concat([Buffer.from('xxxx'), bytes, Buffer.from('yyyy')]);
    const view = host.subarray(4, 4 + bytes.length);
    const whole = new Uint8Array(bytes);
    await codecs.decodeAsync(ContentType.JSON, view);
    await codecs.decodeAsync(ContentType.JSON, whole);
    assert.equal(host.byteLength, bytes.length + 8);
    assert.equal(whole.byteLength, bytes.length);
    assert.ok(view.equals(bytes));
    assert.ok(Buffer.from(whole).equals(bytes));
  });

  test('codecs — with the pool full, further big bodies decode on the main thread, all to their own value', async () => {
    const before = codecs.stats();
    const values = Array.from({ length: 40 }, (_, i) => ({ i, ...bigValue(THRESHOLD * 2 + i * 10) }));
    const bodies = values.map((v) => codecs.get(ContentType.MSGPACK).encode(v));
    const results = await Promise.all(bodies.map((body) => codecs.decodeAsync(ContentType.MSGPACK, body)));
    assert.deepStrictEqual(results, values);
    const stats = codecs.stats();
    const perThread = defaultCodecsOptions().offloadsPerThread;
    assert.equal(stats.offloaded - before.offloaded, perThread);
    assert.equal(stats.spilled - before.spilled, 40 - perThread);
    assert.equal(await codecs.decodeAsync(ContentType.MSGPACK, bodies[0]).then(() => codecs.stats().offloaded - stats.offloaded), 1);
  });

  test('codecs — without a limit every big body queues for the worker', async () => {
    const queued = createCodecs({ offloadThresholdBytes: THRESHOLD, offloadsPerThread: Number.POSITIVE_INFINITY });
    try {
      const bodies = Array.from({ length: 10 }, (_, i) => json(bigValue(THRESHOLD + i)));
      await Promise.all(bodies.map((body) => queued.decodeAsync(ContentType.JSON, body)));
      assert.equal(queued.stats().offloaded, 10);
      assert.equal(queued.stats().spilled, 0);
    } finally {
      await queued.close();
    }
  });

  test('codecs — a replaced built-in is never sent to the worker', async () => {
    const offloaded = codecs.stats().offloaded;
    codecs.register({ contentType: ContentType.MSGPACK, encode: () => new Uint8Array(0), decode: () => 'custom' });
    assert.equal(await codecs.decodeAsync(ContentType.MSGPACK, Buffer.alloc(THRESHOLD * 2)), 'custom');
    assert.equal(codecs.stats().offloaded, offloaded);
  });
});

test('codecs — a prebuilt protobuf root keeps protobuf on the main thread', async () => {
  const root = protobuf.loadSync(sampleProtoFile);
  const codecs = createCodecs({ offloadThresholdBytes: 1, protoRoot: root });
  try {
    const pb = codecs.get(ContentType.PROTOBUF);
    const bytes = pb.encode(bigHello(10_000), 'sample.Hello');
    assert.deepStrictEqual(await codecs.decodeAsync(ContentType.PROTOBUF, bytes, 'sample.Hello'), pb.decode(bytes, 'sample.Hello'));
    assert.equal(codecs.stats().poolThreads, 0);
    assert.equal(codecs.stats().main, 1);
  } finally {
    await codecs.close();
  }
});

test('codecs — a worker that cannot load its .proto files falls back to the main thread, logged once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'codecs-'));
  const protoFile = join(dir, 'sample.proto');
  copyFileSync(sampleProtoFile, protoFile);
  const logger = createRecordingLogger();
  const codecs = createCodecs({ offloadThresholdBytes: 1, protoFiles: [protoFile], logger });
  rmSync(dir, { recursive: true });
  try {
    const pb = codecs.get(ContentType.PROTOBUF);
    const bytes = pb.encode({ name: 'still works' }, 'sample.Hello');
    assert.deepStrictEqual(await codecs.decodeAsync(ContentType.PROTOBUF, bytes, 'sample.Hello'), pb.decode(bytes, 'sample.Hello'));
    assert.deepEqual(await codecs.decodeAsync(ContentType.JSON, json([1, 2])), [1, 2]);
    const stats = codecs.stats();
    assert.equal(stats.fallbacks, 1);
    assert.equal(stats.offloaded, 0);
    assert.equal(stats.main, 1);
    const errors = logger.entries.filter((e) => e.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0].fields.err), /sample\.proto/);
  } finally {
    await codecs.close();
  }
});
