/**
 * Moleculer brokers for the bench, on its TCP transporter with UDP discovery off, JSON serializer and
 * warn-level logging. Every address they bind or dial is 127.0.0.1 (see the two overrides below).
 * Imported only where bench/peers dependencies are installed: by moleculer-server.ts in its child
 * process, and by moleculer-client.ts and moleculer-local.ts through a dynamic import.
 */
import { createRequire } from 'node:module';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ServiceBroker, Transporters } from 'moleculer';

export const ECHO_SERVER_NODE_ID = 'micromesh-bench-echo-server';
const LOOPBACK = '127.0.0.1';

/** The part of Moleculer's TcpReader (not in its public types) that listen() touches. */
interface TcpReaderInternals {
  server: Server | null;
  opts: { port?: number | null };
  connected: boolean;
  onTcpClientConnected(socket: Socket): void;
}

// Moleculer's TcpReader.listen() binds every interface and has no host option. Within the bench
// process nothing may bind more than loopback, so its listen is replaced for the whole process.
function listenOnLoopback(this: TcpReaderInternals): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => this.onTcpClientConnected(socket));
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: this.opts.port ?? 0, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', (err) => process.stderr.write(`moleculer tcp server error: ${err.message}\n`));
      const { port } = server.address() as AddressInfo;
      this.opts.port = port;
      this.connected = true;
      resolve(port);
    });
    this.server = server;
  });
}

const require = createRequire(import.meta.url);
const readerPath = join(dirname(require.resolve('moleculer')), 'src/transporters/tcp/tcp-reader.js');
const TcpReader = require(readerPath) as { prototype: { listen: unknown } };
TcpReader.prototype.listen = listenOnLoopback;

/** Dials peers on loopback only, whatever host or IP list their gossip advertises. */
class LoopbackTcpTransporter extends Transporters.TCP {
  override getNodeAddress(): string {
    return LOOPBACK;
  }
}

export interface BenchBrokerOptions {
  nodeID: string;
  /** Static peers as `host:port/nodeID`, comma-separated; none for the server. @default undefined */
  urls?: string;
}

export interface BenchBroker {
  broker: ServiceBroker;
  /** The port its TCP transporter listens on, once started. */
  port(): number | undefined;
}

/** What every bench broker shares, with or without a transporter. */
const SETTINGS = {
  namespace: 'micromesh-bench',
  logger: { type: 'Console', options: { level: 'warn' } },
  metrics: false,
  tracing: false,
  requestTimeout: 10_000,
} as const;

export function createBenchBroker(options: BenchBrokerOptions): BenchBroker {
  const transporter = new LoopbackTcpTransporter({ udpDiscovery: false, urls: options.urls });
  const broker = new ServiceBroker({ ...SETTINGS, nodeID: options.nodeID, transporter, serializer: 'JSON' });
  return { broker, port: () => transporter.opts.port ?? undefined };
}

/** A broker with no transporter, for calls to services of the same broker (the rpc suite's `local` case). */
export function createLocalBroker(nodeID: string): ServiceBroker {
  return new ServiceBroker({ ...SETTINGS, nodeID });
}
