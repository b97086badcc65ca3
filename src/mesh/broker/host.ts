/** The node's side of {@link BrokerHost}: frames, peers and a registration kept alive by the node's heartbeat. */
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/index.ts';
import type { FrameRouter } from '../peers/frame-router.ts';
import type { Peer } from '../peers/peer.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import type { Registry, Service } from '../registry/registry.ts';
import type { BrokerHost } from './broker.ts';

export interface BrokerHostDeps {
  nodeId: string;
  clock: Clock;
  log: Logger;
  registry: Registry;
  router: FrameRouter;
  transportName: string;
  /** The TTL of its registrations; undefined leaves it to the registry (which then keeps them alive itself). */
  registerTtlMs: number | undefined;
  /** The node's registrations, refreshed by its heartbeat and withdrawn when it stops. */
  registrations: Service[];
  address(): string;
  peerForNode(nodeId: string): Peer | Promise<Peer>;
}

/** A host whose `advertise` does nothing once `closing` is set (the node already withdrew its registrations). */
export function createBrokerHost(deps: BrokerHostDeps): BrokerHost & { closing: boolean } {
  // One change at a time, so two subscribes at once never register twice.
  let chain: Promise<void> = Promise.resolve();
  const host: BrokerHost & { closing: boolean } = {
    closing: false,
    nodeId: deps.nodeId,
    clock: deps.clock,
    log: deps.log,
    registry: deps.registry,
    onFrame: (type, handler) => deps.router.on(type, handler),
    peerForNode: (id) => deps.peerForNode(id),
    advertise(name, service) {
      const run = chain.then(() => change(name, service));
      chain = run.catch(() => {});
      return run;
    },
  };
  const change = async (name: string, service: Omit<Service, 'nodes'> | undefined): Promise<void> => {
      if (host.closing) return;
      const at = deps.registrations.findIndex((r) => r.name === name);
      const old = at === -1 ? undefined : deps.registrations[at];
      if (service === undefined) {
        if (old === undefined) return;
        deps.registrations.splice(at, 1);
        await deps.registry.deregister(old);
        return;
      }
      const node = { id: deps.nodeId, address: deps.address(), metadata: { transport: deps.transportName, protocol: `micromesh/${PROTOCOL_VERSION}` } };
      const full: Service = { ...service, nodes: [node] };
      await deps.registry.register(full, deps.registerTtlMs === undefined ? {} : { ttlMs: deps.registerTtlMs });
      if (at === -1) deps.registrations.push(full);
      else deps.registrations[at] = full;
  };
  return host;
}
