/**
 * Node addresses across transports. A node listening on several transports registers one address (its first
 * transport's) and lists all of them, space-separated, in its registry metadata under `addresses`; a caller dials
 * the first it can, and the scheme of an address (`nats://…`, `mem://…`, none for TCP's `host:port`) says which
 * transport carries it.
 */
import type { RegistryNode } from '../registry/registry.ts';

/** The registry metadata key listing every address of a node. */
export const ADDRESSES_KEY = 'addresses';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** `nats` for `nats://a`, `mem` for `mem://a`, `tcp` for `host:port` or `tcp://host:port`. */
export function schemeOf(address: string): string {
  return SCHEME.exec(address)?.[1]?.toLowerCase() ?? 'tcp';
}

/** Every address of a registered node, its primary `address` first. */
export function nodeAddresses(node: RegistryNode): string[] {
  const listed = node.metadata[ADDRESSES_KEY];
  if (listed === undefined || listed === '') return [node.address];
  const all = [node.address];
  for (const a of listed.split(' ')) if (a !== '' && !all.includes(a)) all.push(a);
  return all;
}

/** The node's first address `canDial` accepts (its primary one without a predicate); undefined if none. */
export function dialableAddress(node: RegistryNode, canDial: ((address: string) => boolean) | undefined): string | undefined {
  if (canDial === undefined) return node.address;
  if (node.metadata[ADDRESSES_KEY] === undefined) return canDial(node.address) ? node.address : undefined;
  return nodeAddresses(node).find(canDial);
}

/** The node's address with `scheme`, or its primary one when no scheme is asked. */
export function addressWithScheme(node: RegistryNode, scheme: string | undefined): string | undefined {
  if (scheme === undefined) return node.address;
  return nodeAddresses(node).find((a) => schemeOf(a) === scheme);
}

/** This node's own address for a connection to `remote`: the one of the same scheme, else its primary one. */
export function ownAddressFor(own: readonly string[], remote: string): string {
  const scheme = schemeOf(remote);
  return own.find((a) => schemeOf(a) === scheme) ?? own[0] ?? '';
}
