/**
 * nats.js request/reply with no framework as an {@link RpcImpl} (`raw-nats`): the server (./raw-nats-server.ts)
 * echoes on a subject, the client calls `nc.request()` with a JSON body and parses the reply.
 */
import { connect } from 'nats';
import { spawnTsx } from '../lib/child-process.ts';
import type { RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import { BENCH_NATS_URL, benchRunToken } from './nats-bench.ts';

const SERVER_FILE = new URL('./raw-nats-server.ts', import.meta.url).pathname;

export const rawNatsImpl: RpcImpl = {
  name: 'raw-nats',
  async startServer(): Promise<RpcServer> {
    const subject = `bench.echo.${benchRunToken()}`;
    const child = await spawnTsx(SERVER_FILE, { args: ['--subject', subject] });
    return { address: subject, stop: child.stop };
  },
  async createClient(subject: string): Promise<RpcClient> {
    const nc = await connect({ servers: new URL(BENCH_NATS_URL).host });
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    let closed: Promise<void> | undefined;
    return {
      call: async (body: unknown) => {
        const reply = await nc.request(subject, encoder.encode(JSON.stringify(body)), { timeout: 30_000 });
        return JSON.parse(decoder.decode(reply.data));
      },
      close: () => {
        closed ??= nc.close();
        return closed;
      },
    };
  },
};
