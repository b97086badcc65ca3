/**
 * Moleculer 0.15 on its TCP transporter as an {@link RpcImpl}, and a broker calling its own service
 * in-process as a {@link LocalImpl}. Moleculer lives in bench/peers' own node_modules, so its modules
 * load lazily; call `ctx.ensurePeerDeps()` before using these.
 */
import { spawnTsx } from '../lib/child-process.ts';
import type { LocalImpl, RpcClient, RpcImpl, RpcServer } from '../lib/rpc-impl.ts';

const SERVER_FILE = new URL('./moleculer-server.ts', import.meta.url).pathname;
// A computed specifier keeps the type checker (and any eager loader) away from moleculer itself.
const CLIENT_MODULE = new URL('./moleculer-client.ts', import.meta.url).href;
const LOCAL_MODULE = new URL('./moleculer-local.ts', import.meta.url).href;

interface MoleculerClientModule {
  connectEchoClient(address: string): Promise<RpcClient>;
}

interface MoleculerLocalModule {
  startLocalEcho(): Promise<RpcClient>;
}

export const moleculerImpl: RpcImpl = {
  name: 'moleculer',
  async startServer(): Promise<RpcServer> {
    const child = await spawnTsx(SERVER_FILE);
    return { address: `127.0.0.1:${child.port}`, stop: child.stop };
  },
  async createClient(address: string): Promise<RpcClient> {
    const mod = (await import(CLIENT_MODULE)) as MoleculerClientModule;
    return mod.connectEchoClient(address);
  },
};

export const moleculerLocalImpl: LocalImpl = {
  name: 'moleculer',
  async start(): Promise<RpcClient> {
    const mod = (await import(LOCAL_MODULE)) as MoleculerLocalModule;
    return mod.startLocalEcho();
  },
};
