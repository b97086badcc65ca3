import multicastDns from 'multicast-dns';
import { encodeInstance, instanceRecordName, mdnsNames } from '../../../../src/mesh/registry/mdns-records.ts';
import type { RegistryNode, Service } from '../../../../src/mesh/registry/registry.ts';

/** A random port and domain per test, so runs and suites never hear each other. */
export function isolated<T extends object>(extra: T = {} as T): T & { port: number; domain: string } {
  return { port: 20_000 + Math.floor(Math.random() * 40_000), domain: `t${Math.floor(Math.random() * 1e9)}.local`, ...extra };
}

export interface Spy {
  readonly mdns: multicastDns.MulticastDNS;
  readonly queries: multicastDns.QueryPacket[];
  readonly responses: multicastDns.ResponsePacket[];
  ready(): Promise<void>;
  /** Resolves once `predicate` holds after some packet arrived, or fails after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

/** A raw mDNS socket on the test's port: sees every query and response, and sends what a test forges. */
export function createSpy(port: number): Spy {
  const mdns = multicastDns({ interface: '127.0.0.1', bind: '224.0.0.251', port, loopback: true, reuseAddr: true });
  const queries: multicastDns.QueryPacket[] = [];
  const responses: multicastDns.ResponsePacket[] = [];
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  mdns.on('query', (q) => {
    queries.push(q);
    poke();
  });
  mdns.on('response', (r) => {
    responses.push(r);
    poke();
  });
  mdns.on('warning', () => {});
  const ready = new Promise<void>((resolve) => mdns.once('ready', resolve));
  return {
    mdns,
    queries,
    responses,
    ready: () => ready,
    until(predicate, timeoutMs = 3000, what = 'a packet') {
      if (predicate()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`spy: timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => mdns.destroy(() => resolve())),
  };
}

/** Questions the spy saw for a name. */
export function queriesFor(spy: Spy, name: string): number {
  return spy.queries.filter((q) => q.questions.some((question) => question.name === name)).length;
}

/** Responses the spy saw carrying a TXT record for an instance with a non-zero TTL. */
export function announcementsOf(spy: Spy, instance: string): number {
  return spy.responses.filter((r) => r.answers.some((a) => a.type === 'TXT' && a.name === instance && (a.ttl ?? 0) > 0)).length;
}

export const browseOf = (domain: string) => mdnsNames(domain).browse;

export type TxtAnswer = multicastDns.ResponsePacket['answers'][number];

/** The TXT record a peer announcing one node of a service sends (or an attacker forges). */
export function txtOf(domain: string, service: Service, ttlMs: number, node: RegistryNode = service.nodes[0]): TxtAnswer {
  const one = { ...service, nodes: [node] };
  return { name: instanceRecordName(mdnsNames(domain), one.name, one.version, node.id), type: 'TXT', ttl: Math.max(1, Math.ceil(ttlMs / 1000)), data: encodeInstance(one, node, ttlMs) };
}

/** A copy of a one-node service whose node has another address. */
export function movedTo(service: Service, address: string): Service {
  return { ...service, nodes: [{ ...service.nodes[0], address }] };
}

/** Sends records a few per packet, waiting for each packet to leave, so a flood does not overrun the socket. */
export async function sendAll(spy: Spy, answers: readonly TxtAnswer[], perPacket = 32): Promise<void> {
  for (let at = 0; at < answers.length; at += perPacket) {
    await new Promise<void>((resolve, reject) => spy.mdns.respond({ answers: answers.slice(at, at + perPacket) }, (err) => (err ? reject(err) : resolve())));
    await new Promise((r) => setImmediate(r));
  }
}
