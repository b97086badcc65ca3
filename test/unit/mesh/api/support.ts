import { createApiGateway, type ApiGateway } from '../../../../src/mesh/api/gateway.ts';
import type { ApiGatewayOptions } from '../../../../src/mesh/api/options.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import type { MeshNode } from '../../../../src/mesh/mesh-node.ts';
import { defineService } from '../../../../src/mesh/service.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { deferred } from '../../../support/wait.ts';

/** Metadata each Say.Hello saw, newest last. */
export const seen: Array<Record<string, string>> = [];

export const greeter = defineService({
  name: 'greeter',
  endpoints: {
    'Say.Hello': {
      handler: (req: { name: string }, ctx) => {
        seen.push({ ...ctx.metadata });
        return { msg: `Hello ${req.name}` };
      },
      idempotent: true,
      request: { name: 'HelloRequest', type: 'HelloRequest', values: [{ name: 'name', type: 'string' }, { name: 'tags', type: '[]string' }] },
      response: { name: 'HelloReply', type: 'HelloReply', values: [{ name: 'msg', type: 'string' }] },
    },
    'Say.Fail': () => {
      throw new MicroError('NOT_FOUND', 'no such greeting', { id: 'greeter' });
    },
    'Say.Slow': async (_req: unknown, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      throw ctx.signal.reason;
    },
    'Say.Echo': {
      stream: async (s) => {
        for await (const m of s) await s.send(m);
      },
    },
    // Takes a message, then waits for `sink.gate` before the next; counts what it took.
    'Say.Sink': {
      stream: async (s) => {
        for await (const _m of s) {
          sink.taken += 1;
          await sink.gate.promise;
        }
        await s.send({ taken: sink.taken });
      },
    },
    'Say.Count': {
      stream: async (s, _ctx) => {
        for await (const m of s) {
          const { n, fail } = m as { n: number; fail?: boolean };
          for (let i = 0; i < n; i += 1) {
            produced.count = i + 1;
            await s.send({ i, pad: 'x'.repeat(1000) });
          }
          if (fail) throw new MicroError('CONFLICT', 'counted too far', { id: 'greeter' });
          return;
        }
      },
    },
  },
});

/** How far Say.Count has produced. */
export const produced = { count: 0 };

/** What Say.Sink took; it takes more once `gate` is resolved. */
export const sink = { taken: 0, gate: deferred() };

/** A memory mesh with greeter served on node `svc` and a gateway on node `gw`, closed after `run`. */
export async function withGateway(run: (api: ApiGateway, gw: MeshNode) => Promise<void>, options: ApiGatewayOptions = {}): Promise<void> {
  const mesh = memoryMesh();
  seen.length = 0;
  produced.count = 0;
  sink.taken = 0;
  sink.gate = deferred();
  let api: ApiGateway | undefined;
  try {
    const svc = await mesh.node('svc');
    await svc.serve(greeter);
    const gw = await mesh.node('gw');
    api = await createApiGateway(gw, { address: '127.0.0.1:0', ...options });
    await run(api, gw);
  } finally {
    await api?.close();
    await mesh.close();
  }
}

export async function post(api: ApiGateway, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}
