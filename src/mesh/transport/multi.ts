/**
 * One transport made of several: a node listens on each (TCP and NATS at once) and dials an address with the
 * transport its scheme names, the first whose `canDial` accepts it.
 */
import { MicroError } from '../errors.ts';
import type { Middleware } from '../middleware/middleware.ts';
import {
  type Connection,
  createTransportStats,
  type DialOptions,
  type Listener,
  type Transport,
  type TransportNode,
  type TransportStats,
} from './transport.ts';

/** A part of a multi-transport, and whether the multi-transport closes it. */
export interface TransportPart {
  readonly transport: Transport;
  readonly owned: boolean;
}

/**
 * Creates a transport over `parts`, in order: the first listener's address is the node's primary one.
 * @example
 * const both = createMultiTransport([{ transport: tcp, owned: true }, { transport: nats, owned: true }]);
 */
export function createMultiTransport(parts: readonly TransportPart[]): Transport {
  if (parts.length === 0) throw new MicroError('BAD_REQUEST', 'a multi-transport needs at least one transport');
  const transports = parts.map((p) => p.transport);
  const pick = (address: string): Transport | undefined => transports.find((t) => t.canDial?.(address) ?? true);
  return {
    name: transports.map((t) => t.name).join('+'),
    canDial: (address) => pick(address) !== undefined,
    attachNode: (node: TransportNode): readonly Middleware[] => transports.flatMap((t) => t.attachNode?.(node) ?? []),
    async listen(address: string, onConnection: (conn: Connection) => void): Promise<Listener> {
      const listeners: Listener[] = [];
      try {
        for (const t of transports) listeners.push(await t.listen(address, onConnection));
      } catch (err) {
        await Promise.all(listeners.map((l) => l.close()));
        throw err;
      }
      return {
        address: listeners[0]?.address ?? '',
        addresses: listeners.flatMap((l) => l.addresses ?? [l.address]),
        close: async () => {
          await Promise.all(listeners.map((l) => l.close()));
        },
      };
    },
    dial(address: string, options?: DialOptions): Promise<Connection> {
      const t = pick(address);
      if (t === undefined) {
        return Promise.reject(new MicroError('CONNECT_FAILED', `dial ${address} failed: no transport of this node (${transports.map((x) => x.name).join(', ')}) dials it`));
      }
      return t.dial(address, options);
    },
    stats(): TransportStats {
      const sum = createTransportStats();
      for (const t of transports) {
        const s = t.stats();
        for (const key of Object.keys(s) as Array<keyof TransportStats>) sum[key] = (sum[key] ?? 0) + (s[key] ?? 0);
      }
      return sum;
    },
    async close(): Promise<void> {
      await Promise.all(parts.filter((p) => p.owned).map((p) => p.transport.close()));
    },
  };
}
