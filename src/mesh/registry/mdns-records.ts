import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { RegistryNode, Service } from './registry.ts';
import { parseNode, parseService } from './service-shape.ts';

// Record naming and the TXT encoding of one node instance of a service version.
//
//   PTR  _micromesh._tcp.<domain>                → <instance>   every instance (browse)
//   PTR  _s-<name>-<hash>._sub._micromesh._tcp.<domain> → <instance>   the instances of one service
//   TXT  <instance> = [ "mm=1;e=<j|z>;p=<parts>", part, part, ... ]
//
// <instance> is `<node id>-<hash of name, version, node id>._micromesh._tcp.<domain>`: one per node of a version,
// stable across restarts, and checked against the TXT content on receipt so a record cannot pose as another node.
// The TXT parts are the JSON of the instance (deflated when that is smaller) cut into 255-byte strings, the DNS
// limit. No SRV or A records: an address may be any transport's URL, so it travels in the TXT data.

const MARKER = 'mm=1';
const PART_BYTES = 255;
const DEFLATE_FROM = 256;
/** Larger decoded payloads are refused: no registration is near this, a forged one could be. */
const MAX_PAYLOAD_BYTES = 1 << 20;

/** The names one registry's records live under. */
export interface MdnsNames {
  /** `_micromesh._tcp.<domain>`, the PTR every instance is listed under. */
  readonly browse: string;
  /** `.${browse}`, what every instance name ends with. */
  readonly instanceSuffix: string;
  /** `._sub.${browse}`, what every per-service PTR name ends with. */
  readonly subSuffix: string;
}

export function mdnsNames(domain: string): MdnsNames {
  const browse = `_micromesh._tcp.${domain.toLowerCase().replace(/\.$/, '')}`;
  return { browse, instanceSuffix: `.${browse}`, subSuffix: `._sub.${browse}` };
}

/** The PTR name listing the instances of one service. */
export function serviceRecordName(names: MdnsNames, service: string): string {
  return `_s-${label(service)}-${hash(service, 12)}${names.subSuffix}`;
}

/** The name of one node's records for a service version. */
export function instanceRecordName(names: MdnsNames, service: string, version: string, nodeId: string): string {
  return `${label(nodeId)}-${hash(`${service}\u0000${version}\u0000${nodeId}`, 16)}${names.instanceSuffix}`;
}

/** What one instance's TXT record says: a single-node service and how long it lives without a refresh. */
export interface InstanceData {
  service: Service;
  ttlMs: number;
  /** The size of its decoded JSON. */
  bytes: number;
}

/** A TXT record whose payload is over the size a reader accepts: not garbled, refused. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
  readonly bytes: number;
  constructor(bytes: number, max: number) {
    super(`TXT payload of ${bytes === Number.POSITIVE_INFINITY ? 'more than ' + max : bytes} bytes, over ${max}`);
    this.bytes = bytes;
  }
}

interface Payload {
  n: string;
  v: string;
  m: Record<string, string>;
  e: unknown[];
  i: string;
  a: string;
  nm: Record<string, string>;
  t: number;
}

export function encodeInstance(service: Service, node: RegistryNode, ttlMs: number): Buffer[] {
  const payload: Payload = {
    n: service.name,
    v: service.version,
    m: service.metadata,
    e: service.endpoints,
    i: node.id,
    a: node.address,
    nm: node.metadata,
    t: ttlMs,
  };
  const json = Buffer.from(JSON.stringify(payload));
  const deflated = json.length >= DEFLATE_FROM ? deflateRawSync(json) : undefined;
  const body = deflated !== undefined && deflated.length < json.length ? deflated : json;
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += PART_BYTES) parts.push(body.subarray(at, at + PART_BYTES));
  parts.unshift(Buffer.from(`${MARKER};e=${body === json ? 'j' : 'z'};p=${parts.length}`));
  return parts;
}

/** Is this TXT data ours at all (the marker string first)? Cheap, before any decoding. */
export function isInstanceTxt(data: unknown): data is Array<Buffer | string> {
  if (!Array.isArray(data) || data.length < 2) return false;
  const head = data[0];
  return (typeof head === 'string' || Buffer.isBuffer(head)) && head.length > MARKER.length && head.toString('latin1', 0, MARKER.length) === MARKER;
}

/**
 * Decodes a TXT record's strings; throws on anything that is not a well-formed instance, RecordTooLargeError when
 * its JSON is over `maxBytes` (checked before inflating further or parsing).
 */
export function decodeInstance(data: unknown, maxBytes = MAX_PAYLOAD_BYTES): InstanceData {
  if (!isInstanceTxt(data)) throw new Error('not a micromesh TXT record');
  const header = /^mm=1;e=([jz]);p=(\d+)$/.exec(data[0].toString());
  if (header === null) throw new Error(`bad TXT header ${JSON.stringify(data[0].toString().slice(0, 40))}`);
  const parts = Number(header[2]);
  if (parts !== data.length - 1) throw new Error(`TXT record has ${data.length - 1} parts, header says ${parts}`);
  const body = Buffer.concat(data.slice(1).map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const max = Math.min(maxBytes, MAX_PAYLOAD_BYTES);
  const json = header[1] === 'z' ? inflate(body, max) : body;
  if (json.length > max) throw new RecordTooLargeError(json.length, max);
  const p = JSON.parse(json.toString()) as Partial<Payload> | null;
  if (typeof p !== 'object' || p === null) throw new Error('TXT payload is not an object');
  const node = parseNode({ id: p.i, address: p.a, metadata: p.nm });
  const service = parseService({ name: p.n, version: p.v, metadata: p.m, endpoints: p.e, nodes: [node] });
  const ttlMs = p.t;
  if (typeof ttlMs !== 'number' || !(ttlMs > 0) || ttlMs > 86_400_000) throw new Error(`bad TXT ttl ${String(ttlMs)}`);
  return { service, ttlMs, bytes: json.length };
}

function inflate(body: Buffer, max: number): Buffer {
  try {
    return inflateRawSync(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new RecordTooLargeError(Number.POSITIVE_INFINITY, max);
    throw err;
  }
}

function label(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 40);
}

function hash(s: string, hexChars: number): string {
  return createHash('sha1').update(s).digest('hex').slice(0, hexChars);
}
