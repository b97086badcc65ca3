import { createJsonCodec } from '../../src/mesh/codec/json.ts';
import { createMsgpackCodec } from '../../src/mesh/codec/msgpack.ts';
import { createOctetCodec } from '../../src/mesh/codec/octet.ts';
import { createProtobufCodec } from '../../src/mesh/codec/protobuf.ts';
import { bigValue, hello, sampleProtoFile } from '../unit/mesh/codec/fixtures/samples.ts';
import { type CodecSample, describeCodec } from './codec.ts';

const cyclic: Record<string, unknown> = { name: 'loop' };
cyclic.self = cyclic;

const text = (s: string) => new TextEncoder().encode(s);

/** Values every JSON-like codec must carry exactly. */
const plainValues: CodecSample[] = [
  { name: 'null', value: null },
  { name: 'true', value: true },
  { name: 'zero', value: 0 },
  { name: 'negative float', value: -1.5 },
  { name: 'large float', value: 1e308 },
  { name: 'unicode string', value: 'héllo ☃ 😀 \u0000 "quoted"' },
  { name: 'empty array', value: [] },
  { name: 'empty object', value: {} },
  { name: 'nested object', value: { user: { id: 'u1', roles: ['admin', 'dev'], active: true, score: 9.75, manager: null } } },
  { name: 'mixed array', value: [1, 'two', { three: [3] }, null, false] },
  { name: 'big nested body', value: bigValue(200_000) },
];

const defaults = {
  tags: [],
  scores: {},
  name: '',
  count: '0',
  color: 'COLOR_UNSPECIFIED',
  inner: null,
  blob: Buffer.alloc(0),
  ratio: 0,
  ok: false,
};

describeCodec('json', createJsonCodec, {
  roundTrip: plainValues,
  garbage: [
    { name: 'truncated object', bytes: text('{"a":') },
    { name: 'not JSON', bytes: text('nope') },
    { name: 'trailing comma', bytes: text('[1,]') },
    { name: 'whitespace only', bytes: text('   ') },
    { name: 'invalid UTF-8', bytes: new Uint8Array([0x22, 0xff, 0xfe, 0x22]) },
  ],
  unencodable: [
    { name: 'BigInt', value: 1n },
    { name: 'nested BigInt', value: { a: [1, 2n] } },
    { name: 'cycle', value: cyclic },
    { name: 'function', value: () => 1 },
    { name: 'symbol', value: Symbol('s') },
  ],
  empty: { decoded: undefined },
});

describeCodec('msgpack', createMsgpackCodec, {
  roundTrip: [
    ...plainValues,
    { name: 'undefined property', value: { a: undefined, b: 1 } },
    { name: 'binary', value: { blob: Buffer.from([0, 1, 2, 255]) } },
    { name: 'int64 beyond 2^53 as BigInt', value: { id: 2n ** 60n } },
    { name: 'date', value: new Date(1_700_000_000_000) },
  ],
  garbage: [
    { name: 'str32 longer than the body', bytes: new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, 0x41]) },
    { name: 'array missing an element', bytes: new Uint8Array([0x92, 0x01]) },
    { name: 'trailing bytes', bytes: new Uint8Array([0x01, 0x02]) },
  ],
  unencodable: [
    { name: 'cycle', value: cyclic },
    { name: 'symbol', value: Symbol('s') },
    { name: 'BigInt beyond 64 bits', value: 2n ** 70n },
  ],
  empty: { decoded: undefined },
});

describeCodec('msgpack with records', () => createMsgpackCodec({ records: true }), {
  roundTrip: plainValues,
  garbage: [{ name: 'trailing bytes', bytes: new Uint8Array([0x01, 0x02]) }],
  unencodable: [{ name: 'cycle', value: cyclic }],
  empty: { decoded: undefined },
});

describeCodec('protobuf', () => createProtobufCodec({ protoFiles: [sampleProtoFile] }), {
  roundTrip: [
    { name: 'every field set', value: hello, typeName: 'sample.Hello' },
    { name: 'one field set, defaults filled', value: { name: 'x' }, typeName: 'sample.Hello', expected: { ...defaults, name: 'x' } },
    { name: 'number for int64, enum by number', value: { count: 42, color: 1 }, typeName: 'sample.Hello', expected: { ...defaults, count: '42', color: 'COLOR_RED' } },
    { name: 'leading-dot type name', value: { note: 'n' }, typeName: '.sample.Inner' },
  ],
  garbage: [
    { name: 'invalid wire type', bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff]), typeName: 'sample.Hello' },
    { name: 'text', bytes: text('this is not protobuf'), typeName: 'sample.Hello' },
    { name: 'length past the end', bytes: new Uint8Array([0x0a, 0x05, 0x41]), typeName: 'sample.Hello' },
  ],
  unencodable: [
    { name: 'a string', value: 'hello', typeName: 'sample.Hello' },
    { name: 'null', value: null, typeName: 'sample.Hello' },
    { name: 'unknown type', value: {}, typeName: 'sample.Nope' },
    { name: 'no type name', value: {} },
    { name: 'wrong nested type', value: { inner: 'x' }, typeName: 'sample.Hello' },
  ],
  empty: { decoded: defaults, typeName: 'sample.Hello' },
  fuzzTypeName: 'sample.Hello',
});

describeCodec('octet', createOctetCodec, {
  roundTrip: [
    { name: 'Uint8Array', value: new Uint8Array([1, 2, 3]), expected: Buffer.from([1, 2, 3]) },
    { name: 'Buffer', value: Buffer.from('raw bytes') },
    { name: 'ArrayBuffer', value: new Uint8Array([9, 8]).buffer, expected: Buffer.from([9, 8]) },
  ],
  garbage: [],
  unencodable: [
    { name: 'string', value: 'text' },
    { name: 'number', value: 5 },
    { name: 'object', value: { a: 1 } },
    { name: 'array of numbers', value: [1, 2] },
    { name: 'null', value: null },
  ],
  empty: { decoded: Buffer.alloc(0) },
});
