import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { generateTo } from '../../../src/cli/gen/generate.ts';
import { ProtoError } from '../../../src/cli/gen/load.ts';
import type { MeshNode } from '../../../src/index.ts';
import { memoryMesh } from '../../support/mesh.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = join(repo, 'test/fixtures/gen');
// Under the repo, so that the generated `import … from 'micromesh'` resolves (tsconfig paths) and tsc extends its settings.
const out = join(repo, '.gen-test', `unit-${process.pid}`);
let written: string[] = [];
const read = (path: string) => readFileSync(join(out, path), 'utf8');

before(() => {
  mkdirSync(out, { recursive: true });
  const protos = ['shop/orders.proto', 'greeter.proto', 'nopackage.proto', 'collide.proto'].map((f) => join(fixtures, f));
  written = generateTo(protos, out, { includes: [fixtures] });
  copyFileSync(join(fixtures, 'orders-usage.ts.in'), join(out, 'orders-usage.ts'));
});
after(() => rmSync(out, { recursive: true, force: true }));

test('gen — one module per .proto and per import, laid out by import path, plus the runtime', () => {
  assert.deepEqual([...written].sort(), [
    '_runtime.ts',
    'collide.ts',
    'google/protobuf/any.ts',
    'google/protobuf/duration.ts',
    'google/protobuf/empty.ts',
    'google/protobuf/struct.ts',
    'google/protobuf/timestamp.ts',
    'google/protobuf/wrappers.ts',
    'greeter.ts',
    'nopackage.ts',
    'shop/common/money.ts',
    'shop/orders.ts',
  ]);
  assert.match(read('shop/orders.ts'), /^import type \* as \$shop_common_money from '\.\/common\/money\.js';$/m);
  assert.match(read('shop/orders.ts'), /^import type \* as \$google_protobuf_timestamp from '\.\.\/google\/protobuf\/timestamp\.js';$/m);
  assert.match(read('google/protobuf/timestamp.ts'), /export interface Timestamp \{\n {2}seconds\?: string \| number;\n {2}nanos\?: number;\n\}/);
});

test('gen — nested types are Parent_Child, so one nested name under two parents never clashes', () => {
  const orders = read('shop/orders.ts');
  assert.match(orders, /export interface Order_Item \{/);
  assert.match(read('shop/common/money.ts'), /export interface Bundle_Item \{/);
  assert.match(orders, /firstBundleItem\?: \$shop_common_money\.Bundle_Item \| null;/);
  const plain = read('nopackage.ts');
  assert.match(plain, /export interface Point_Item \{/);
  assert.match(plain, /export interface Line_Item \{\n {2}points\?: Point\[\];/);
});

test('gen — enums are const objects with a type, maps index signatures, oneofs documented optional fields', () => {
  const orders = read('shop/orders.ts');
  assert.match(orders, /export const Status = \{\n(.*\n)* {2}STATUS_SHIPPED: 'STATUS_SHIPPED',\n\} as const;\nexport type Status = \(typeof Status\)\[keyof typeof Status\];/);
  assert.match(orders, /export const Order_Priority = \{/);
  assert.match(orders, /counts\?: \{ \[key: string\]: string \| number \};/);
  assert.match(orders, /itemsBySku\?: \{ \[key: string\]: Order_Item \};/);
  assert.match(orders, /\/\*\* Part of oneof `payment`: set at most one of `cardToken`, `cash`\. \*\/\n {2}cardToken\?: string;/);
  assert.match(orders, /items\?: Order_Item\[\];\n {2}tags\?: string\[\];/);
  assert.match(orders, /weight\?: number;/);
  assert.doesNotMatch(orders, /oneof `_weight`/);
});

test('gen — services: a client per rpc kind, a handler interface, a register function with protobuf types', () => {
  const orders = read('shop/orders.ts');
  assert.match(orders, /export const ORDERS_SERVICE = 'shop\.Orders';/);
  assert.match(orders, /get\(request: GetOrder, options\?: CallOptions\): Promise<Order> \{/);
  assert.match(orders, /watch\(request: GetOrder, options\?: CallOptions\): AsyncIterable<OrderEvent> \{/);
  assert.match(orders, /sum\(options\?: CallOptions\): Promise<ClientSender<Order_Item, Total>> \{/);
  assert.match(orders, /sync\(options\?: CallOptions\): Promise<ClientStream<OrderEvent, OrderEvent>> \{/);
  assert.match(orders, /export interface OrdersHandler \{/);
  assert.match(orders, /'Orders\.Get': \{ idempotent: true, requestType: 'shop\.GetOrder', responseType: 'shop\.Order', request: \{"name":"GetOrder".*\}, response: \{"name":"Order".*\}, handler:/);
  assert.match(orders, /'Orders\.Ping': \{ requestType: 'google\.protobuf\.Empty', responseType: 'google\.protobuf\.Empty',/);
  assert.match(read('greeter.ts'), /export async function registerGreeter\(node: MeshNode, impl: GreeterHandler, options: RegisterGreeterOptions = \{\}\)/);
});

test('gen — the output and code using it compile with tsc under strict nodenext settings', async () => {
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noUnusedLocals: true }, include: ['**/*.ts'] }));
  const tsc = join(repo, 'node_modules/.bin/tsc');
  const result = await promisify(execFile)(tsc, ['--noEmit', '-p', join(out, 'tsconfig.json')], { cwd: repo, timeout: 60_000 }).catch(
    (e: { stdout: string; code: number }) => e,
  );
  assert.equal(result.stdout, '', 'tsc reported errors');
});

interface Usage {
  run(server: MeshNode, client: MeshNode): Promise<Record<string, unknown> & { order: Record<string, unknown> }>;
}

test('gen — a generated client calls a generated server: unary, both one-way streams, bidi, well-known types', { timeout: 20_000 }, async () => {
  const mesh = memoryMesh();
  try {
    const server = await mesh.node('gen-server');
    const client = await mesh.node('gen-client');
    const usage = (await import(pathToFileURL(join(out, 'orders-usage.ts')).href)) as Usage;
    const { order, watched, breakCancels, total, synced, pong } = await usage.run(server, client);
    assert.equal(order.id, 'o1');
    assert.equal(order.status, 'STATUS_OPEN');
    assert.equal(order.priority, 'HIGH');
    assert.deepEqual(order.items, [{ sku: 'a', quantity: 2, price: { currency: 'EUR', units: '5' } }]);
    assert.deepEqual(order.counts, { a: '3' });
    assert.deepEqual(order.itemsBySku, { a: { sku: 'a', quantity: 1, price: null } });
    assert.deepEqual(order.cash, { currency: 'EUR', units: '10' });
    assert.equal(order.cardToken, undefined);
    assert.deepEqual(order.createdAt, { seconds: '1700000000', nanos: 5 });
    assert.deepEqual(order.ttl, { seconds: '30', nanos: 0 });
    assert.deepEqual(order.attributes, { fields: { k: { stringValue: 'v' } } });
    assert.deepEqual(order.note, { value: 'n' });
    assert.deepEqual([...(order.blob as Uint8Array)], [1, 2]);
    assert.equal(order.weight, 1.5);
    assert.deepEqual(order.firstBundleItem, { label: 'b' });
    assert.deepEqual(watched, [
      { id: 'o1', status: 'STATUS_OPEN' },
      { id: 'o1', status: 'STATUS_SHIPPED' },
    ]);
    assert.equal(breakCancels, 'handler aborted');
    assert.deepEqual(total, { total: { currency: 'EUR', units: '17' }, count: 3 });
    assert.deepEqual(synced, [{ id: 'e1!', status: 'STATUS_SHIPPED' }]);
    assert.deepEqual(pong, {});
  } finally {
    await mesh.close();
  }
});

test('gen — a syntax error is a ProtoError at file:line:column', () => {
  assert.throws(
    () => generateTo([join(fixtures, 'bad/syntax.proto')], out),
    (err: unknown) => err instanceof ProtoError && /bad\/syntax\.proto:6:3: illegal token 'strng\$'$/.test(err.message),
  );
});

test('gen — an unresolved import names the import and every include root tried', () => {
  const other = join(fixtures, 'shop');
  assert.throws(
    () => generateTo([join(fixtures, 'bad/import.proto')], out, { includes: [fixtures, other] }),
    (err: unknown) =>
      err instanceof ProtoError && err.message.includes('"nowhere/missing.proto"') && err.message.includes('test/fixtures/gen, test/fixtures/gen/shop'),
  );
});

test('gen — messages named like the generated code’s imports (MeshNode, CallOptions, DESCRIPTOR…) get the imports aliased; the output compiles', () => {
  const collide = read('collide.ts');
  assert.match(collide, /^export interface MeshNode \{$/m);
  assert.match(collide, /import \{ type CallContext, type CallOptions as \$CallOptions, defineService, type MeshNode as \$MeshNode, type ServeOptions as \$ServeOptions \} from 'micromesh';/);
  assert.match(collide, /type StreamSender as \$StreamSender/);
  assert.match(collide, /^const \$DESCRIPTOR: ProtoJson = /m);
  assert.match(collide, /describe\(request: MeshNode, options\?: \$CallOptions\): Promise<CallOptions>/);
  assert.match(collide, /constructor\(node: \$MeshNode, service: string = MESH_SERVICE\)/);
});

test('gen — endpoints are described for the registry: repeated as []T, maps as map[K]V, nested messages with their fields; the gateway makes an MCP schema of it', async () => {
  const { describeMessage } = await import('../../../src/cli/gen/describe.ts');
  const { inputSchema } = await import('../../../src/mesh/api/schema.ts');
  const { loadProtos } = await import('../../../src/cli/gen/load.ts');
  const loaded = loadProtos([join(fixtures, 'shop/orders.proto')], [fixtures]);
  const order = describeMessage(loaded.root.lookupType('shop.Order'));
  const field = (name: string) => order.values?.find((v) => v.name === name);
  assert.deepEqual(field('id'), { name: 'id', type: 'string' });
  assert.deepEqual(field('status'), { name: 'status', type: 'string' });
  assert.deepEqual(field('tags'), { name: 'tags', type: '[]string' });
  assert.deepEqual(field('counts'), { name: 'counts', type: 'map[string]int64' });
  assert.equal(field('items')?.type, '[]Item');
  assert.deepEqual(
    field('items')?.values?.map((v) => `${v.name}:${v.type}`),
    ['sku:string', 'quantity:uint32', 'price:Money'],
  );
  const schema = inputSchema(order) as { properties: Record<string, Record<string, unknown>> };
  assert.deepEqual(schema.properties.tags, { type: 'array', items: { type: 'string' } });
  assert.deepEqual(schema.properties.counts, { type: 'object', additionalProperties: { type: ['integer', 'string'] } });
  assert.equal((schema.properties.items?.items as { type: string } | undefined)?.type, 'object');
});
