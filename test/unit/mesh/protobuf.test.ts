import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import { MicroError } from '../../../src/mesh/errors.ts';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const protoFiles = [fileURLToPath(new URL('../../fixtures/greeter.proto', import.meta.url))];
const greeter = defineService({
  name: 'pb-greeter',
  endpoints: {
    'Say.Hello': {
      requestType: 'greeter.HelloRequest',
      responseType: 'greeter.HelloReply',
      handler: (req: { name: string; times: number }) => ({ lines: Array.from({ length: req.times }, () => `Hello ${req.name}`) }),
    },
  },
});

test('rpc — application/protobuf bodies use message types loaded from .proto files', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server', { codecs: { protoFiles } });
  const client = await mesh.node('client', { codecs: { protoFiles } });
  await server.serve(greeter);
  const reply = await client.client.call('pb-greeter', 'Say.Hello', { name: 'Ada', times: 2 }, {
    contentType: 'application/protobuf',
    requestType: 'greeter.HelloRequest',
    responseType: 'greeter.HelloReply',
  });
  assert.deepEqual(reply, { lines: ['Hello Ada', 'Hello Ada'] });
  const err = await client.client
    .call('pb-greeter', 'Say.Hello', { name: 'x' }, { contentType: 'application/protobuf', requestType: 'greeter.Nope' })
    .catch((e: unknown) => e);
  assert.ok(err instanceof MicroError);
  assert.equal(err.code, 400);
  assert.match(err.detail, /greeter\.Nope/);
});
