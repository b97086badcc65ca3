import { createHash } from 'node:crypto';
import type { RegistryNode, Service } from './registry.ts';
import { parseService } from './service-shape.ts';

// The record an engine-backed registry (NATS, Redis) stores or sends for one node of one service version: JSON of
// the version with that one node, and the TTL its owner refreshes it within. Its key names the same three parts,
// so a record whose content does not match the key it came under is recognised and dropped.

/** One node of one service version as it travels: the key, the encoded record and a short hash of it. */
export interface LinkedRecord {
  readonly key: string;
  readonly data: string;
  readonly hash: string;
}

/** A record read back: the checked one-node service and its TTL. */
export interface DecodedRecord {
  readonly service: Service;
  readonly ttlMs: number;
  readonly bytes: number;
}

const SEPARATOR = '/';

/** The key of one node of one service version: `name/version/nodeId`, each part URI-encoded. */
export function recordKey(name: string, version: string, nodeId: string): string {
  return [name, version, nodeId].map(encodeURIComponent).join(SEPARATOR);
}

/** The three parts of a key, or undefined when it is not one. */
export function parseRecordKey(key: string): { name: string; version: string; nodeId: string } | undefined {
  const parts = key.split(SEPARATOR);
  if (parts.length !== 3) return undefined;
  try {
    const [name, version, nodeId] = parts.map(decodeURIComponent);
    return { name, version, nodeId };
  } catch {
    return undefined;
  }
}

export function encodeRecord(service: Service, node: RegistryNode, ttlMs: number): LinkedRecord {
  const data = JSON.stringify({ s: { name: service.name, version: service.version, metadata: service.metadata, endpoints: service.endpoints, nodes: [node] }, t: ttlMs });
  return { key: recordKey(service.name, service.version, node.id), data, hash: hashOf(data) };
}

export function hashOf(data: string): string {
  return createHash('sha1').update(data).digest('base64url').slice(0, 12);
}

/**
 * Decodes a record received under `key`; throws when it is garbled, larger than `maxBytes`, has a bad TTL, more
 * than one node, or content that does not match the key (a record claiming another node's id).
 */
export function decodeRecord(key: string, data: string, maxBytes: number): DecodedRecord {
  if (data.length > maxBytes) throw new RecordOverLimitError(data.length);
  const parsed = JSON.parse(data) as { s?: unknown; t?: unknown };
  const service = parseService(parsed?.s);
  if (service.nodes.length !== 1) throw new Error(`a record holds one node, this one ${service.nodes.length}`);
  const ttlMs = parsed.t;
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > 86_400_000) throw new Error(`bad record ttl ${String(ttlMs)}`);
  if (recordKey(service.name, service.version, service.nodes[0].id) !== key) throw new Error('record content does not match its key');
  return { service, ttlMs, bytes: data.length };
}

export class RecordOverLimitError extends Error {
  constructor(readonly bytes: number) {
    super(`record of ${bytes} bytes is over the limit`);
  }
}
