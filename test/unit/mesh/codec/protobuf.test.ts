import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { ContentType } from '../../../../src/mesh/codec/codec.ts';
import { createProtobufCodec, defaultProtobufCodecOptions } from '../../../../src/mesh/codec/protobuf.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { hello, sampleProtoFile } from './fixtures/samples.ts';

const codec = createProtobufCodec({ protoFiles: [sampleProtoFile] });
const isReason = (reason: string, text?: string) => (err: unknown) =>
  err instanceof MicroError && err.reason === reason && (text === undefined || err.detail.includes(text));

test('protobuf — content type is application/protobuf', () => {
  assert.equal(codec.contentType, ContentType.PROTOBUF);
});

test('protobuf — an unknown type is BAD_REQUEST naming it, on encode and decode', () => {
  assert.throws(() => codec.encode({}, 'sample.Missing'), isReason('BAD_REQUEST', 'sample.Missing'));
  assert.throws(() => codec.decode(new Uint8Array(0), 'sample.Missing'), isReason('BAD_REQUEST', 'sample.Missing'));
});

test('protobuf — an enum name is not a message type', () => {
  assert.throws(() => codec.encode({}, 'sample.Color'), isReason('BAD_REQUEST', 'sample.Color'));
});

test('protobuf — the type name is required', () => {
  assert.throws(() => codec.encode({}), isReason('BAD_REQUEST', 'type name'));
  assert.throws(() => codec.decode(new Uint8Array(0)), isReason('BAD_REQUEST', 'type name'));
});

test('protobuf — defaults: longs as strings, enums as names, unset fields filled', () => {
  assert.deepEqual(defaultProtobufCodecOptions(), { protoFiles: [], longs: 'string', enums: 'string', defaults: true });
  const decoded = codec.decode(codec.encode(hello, 'sample.Hello'), 'sample.Hello') as typeof hello;
  assert.equal(decoded.count, '9007199254740993');
  assert.equal(decoded.color, 'COLOR_BLUE');
});

test('protobuf — longs as numbers, enums as numbers, no defaults when asked', () => {
  const numeric = createProtobufCodec({ protoFiles: [sampleProtoFile], longs: 'number', enums: 'number', defaults: false });
  assert.deepEqual(numeric.decode(numeric.encode({ count: '42', color: 'COLOR_RED' }, 'sample.Hello'), 'sample.Hello'), {
    count: 42,
    color: 1,
  });
});

test('protobuf — reads types from a root it is given', () => {
  const root = protobuf.Root.fromJSON({ nested: { demo: { nested: { Ping: { fields: { seq: { type: 'uint32', id: 1 } } } } } } });
  const fromRoot = createProtobufCodec({ root });
  assert.equal(fromRoot.root, root);
  assert.deepEqual(fromRoot.decode(fromRoot.encode({ seq: 3 }, 'demo.Ping'), 'demo.Ping'), { seq: 3 });
});

test('protobuf — a missing .proto file fails at creation with the file named', () => {
  assert.throws(
    () => createProtobufCodec({ protoFiles: ['/nonexistent/x.proto'] }),
    (err) => err instanceof MicroError && err.detail.includes('/nonexistent/x.proto'),
  );
});

test('protobuf — garbage names the type in the DECODE_FAILED detail', () => {
  assert.throws(() => codec.decode(new Uint8Array([0xff, 0xff]), 'sample.Hello'), isReason('DECODE_FAILED', 'sample.Hello'));
});
