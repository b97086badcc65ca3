import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { defineService } from '../../../src/mesh/service.ts';
import { memoryMesh } from '../../support/mesh.ts';

let mesh: ReturnType<typeof memoryMesh>;
afterEach(() => mesh?.close());

const svc = defineService({
  name: 'typed',
  endpoints: {
    'A.Object': { idempotent: true, handler: (req: { name: string }) => ({ msg: `hi ${req.name}` }) },
    'A.Async': async (req: { n: number }) => req.n * 2,
  },
});

test('typed client — request and response types follow the service definition (checked by tsc)', async () => {
  mesh = memoryMesh();
  const server = await mesh.node('server');
  await server.serve(svc);
  const client = (await mesh.node('client')).client.typed(svc);
  const r = await client.call('A.Object', { name: 'Ada' });
  const msg: string = r.msg;
  const doubled: number = await client.call('A.Async', { n: 21 });
  assert.equal(msg, 'hi Ada');
  assert.equal(doubled, 42);
  // @ts-expect-error the request of A.Async is { n: number }
  await client.call('A.Async', { name: 'x' }).catch(() => {});
  // @ts-expect-error no such endpoint
  await client.call('A.Missing', {}).catch(() => {});
});
