/**
 * Moleculer 0.15 on its NATS transporter as an {@link RpcImpl} (`moleculer`, case `echo-nats`): the server broker in
 * a child (./moleculer-nats-server.ts), the client broker here, both in a namespace of their own on the bench's NATS
 * server. Moleculer loads lazily (bench/peers' own dependencies); call `ctx.ensurePeerDeps()` first.
 */
import { spawnTsx } from '../lib/child-process.ts';
import type { RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';
import { benchRunToken } from './nats-bench.ts';

const SERVER_FILE = new URL('./moleculer-nats-server.ts', import.meta.url).pathname;
const BROKER_MODULE = new URL('./moleculer-nats-broker.ts', import.meta.url).href;

interface NatsBrokerModule {
  connectNatsEchoClient(namespace: string): Promise<RpcClient>;
}

export const moleculerNatsImpl: RpcImpl = {
  name: 'moleculer',
  async startServer(): Promise<RpcServer> {
    const namespace = `micromesh-bench-${benchRunToken()}`;
    const child = await spawnTsx(SERVER_FILE, { args: ['--namespace', namespace] });
    return { address: namespace, stop: child.stop };
  },
  async createClient(namespace: string): Promise<RpcClient> {
    const mod = (await import(BROKER_MODULE)) as NatsBrokerModule;
    return mod.connectNatsEchoClient(namespace);
  },
};
