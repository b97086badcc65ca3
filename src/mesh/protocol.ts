/**
 * The mesh's own frame headers (the transport treats them as opaque bytes): a compact msgpack array per frame
 * type. Decoding never trusts the peer: a header of the wrong shape is a PROTOCOL_ERROR, never a crash.
 */
import { Packr } from 'msgpackr';
import { MicroError } from './errors.ts';
import { EMPTY_METADATA, type Metadata, sanitizeMetadata } from './metadata.ts';

/** Bits of `Frame.flags`. */
export const Flag = {
  /** REQUEST: opens a stream instead of a unary call. */
  Stream: 1,
  /** MESSAGE: the body is a MicroError for the ask it answers. */
  Error: 2,
} as const;

export const PROTOCOL_VERSION = 2;
const JSON_TYPE = 'application/json';
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
export const NO_HEADER = new Uint8Array(0);

export function pack(value: unknown): Uint8Array {
  return packr.pack(value);
}

function unpack(bytes: Uint8Array, what: string): unknown[] {
  let v: unknown;
  try {
    v = packr.unpack(bytes);
  } catch (err) {
    throw new MicroError('PROTOCOL_ERROR', `garbled ${what} header`, { cause: err });
  }
  if (!Array.isArray(v)) throw new MicroError('PROTOCOL_ERROR', `${what} header is not a list`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024) throw new MicroError('PROTOCOL_ERROR', `bad ${what} in header`);
  return v;
}

export interface HelloHeader {
  nodeId: string;
  /** The address the peer listens on ('' for none): the other side verifies the claim by dialing it back. */
  address: string;
  version: number;
  /** Random per connection; the dialer proves it sent it when the acceptor asks over a connection of its own. */
  nonce: Uint8Array;
  /** With auth on: a JWT signed by the issuer's key naming this node id, address and nonce. */
  proof?: string;
}

export function encodeHello(h: HelloHeader): Uint8Array {
  return pack(h.proof === undefined ? [h.version, h.nodeId, h.address, h.nonce] : [h.version, h.nodeId, h.address, h.nonce, h.proof]);
}

export function decodeHello(bytes: Uint8Array): HelloHeader {
  const [version, nodeId, address, nonce, proof] = unpack(bytes, 'hello');
  if (version !== PROTOCOL_VERSION) throw new MicroError('PROTOCOL_ERROR', `unsupported protocol version ${String(version)}`);
  if (!(nonce instanceof Uint8Array) || nonce.length < 16 || nonce.length > 64) throw new MicroError('PROTOCOL_ERROR', 'bad nonce in hello');
  const addr = typeof address === 'string' && address.length <= 1024 ? address : '';
  const hello: HelloHeader = { version, nodeId: str(nodeId, 'node id'), address: addr, nonce: Uint8Array.from(nonce) };
  if (typeof proof === 'string' && proof.length <= 4096) hello.proof = proof;
  return hello;
}

/** VERIFY asks the node listening at an address: did you send `nonce` on a connection you dialed to `verifier`? */
export interface VerifyHeader {
  nonce: Uint8Array;
  /** The asking node's listening address. */
  verifier: string;
}

export function encodeVerify(h: VerifyHeader): Uint8Array {
  return pack([h.nonce, h.verifier]);
}

export function decodeVerify(bytes: Uint8Array): VerifyHeader {
  const [nonce, verifier] = unpack(bytes, 'verify');
  if (!(nonce instanceof Uint8Array) || nonce.length < 16 || nonce.length > 64) throw new MicroError('PROTOCOL_ERROR', 'bad nonce in verify');
  return { nonce: Uint8Array.from(nonce), verifier: str(verifier, 'verifier address') };
}

export interface RequestHeader {
  service: string;
  endpoint: string;
  contentType: string;
  /** Time left of the caller's deadline when it sent the request. */
  timeoutMs: number;
  metadata: Metadata;
}

/** The part of a request header that repeats from call to call: everything but the time left. */
interface Route {
  service: string;
  endpoint: string;
  contentType: string;
  metadata: Metadata;
}

function packRoute(h: RequestHeader): Uint8Array {
  const ct = h.contentType === JSON_TYPE ? 0 : h.contentType;
  return pack(Object.keys(h.metadata).length > 0 ? [h.service, h.endpoint, ct, h.metadata] : [h.service, h.endpoint, ct]);
}

function withTimeout(route: Uint8Array, timeoutMs: number): Uint8Array {
  const out = new Uint8Array(4 + route.length);
  writeTimeout(out, timeoutMs);
  out.set(route, 4);
  return out;
}

function writeTimeout(out: Uint8Array, timeoutMs: number): void {
  const t = Math.min(0xffff_ffff, Math.max(1, Math.round(timeoutMs)));
  out[0] = t >>> 24;
  out[1] = t >>> 16;
  out[2] = t >>> 8;
  out[3] = t;
}

/** A request header: `[u32 time left in ms][msgpack [service, endpoint, contentType, metadata?]]`. */
export function encodeRequest(h: RequestHeader): Uint8Array {
  return withTimeout(packRoute(h), h.timeoutMs);
}

/**
 * Packed routes by service and endpoint, bounded: it empties past `limit` routes. With `reuse`, each route is kept
 * with room for the time left, and `header` writes it there instead of copying (no allocation per call).
 */
class RouteCache {
  readonly #routes = new Map<string, Map<string, Uint8Array>>();
  #size = 0;

  constructor(
    readonly limit: number,
    readonly reuse = false,
  ) {}

  header(h: RequestHeader): Uint8Array {
    const route = this.route(h);
    if (!this.reuse) return withTimeout(route, h.timeoutMs);
    writeTimeout(route, h.timeoutMs);
    return route;
  }

  route(h: RequestHeader): Uint8Array {
    let byEndpoint = this.#routes.get(h.service);
    if (byEndpoint === undefined) {
      if (this.#size >= this.limit) this.#clear();
      byEndpoint = new Map();
      this.#routes.set(h.service, byEndpoint);
    }
    const key = h.contentType === JSON_TYPE ? h.endpoint : `${h.endpoint} ${h.contentType}`;
    let route = byEndpoint.get(key);
    if (route === undefined) {
      if (this.#size >= this.limit) this.#clear();
      route = this.reuse ? withTimeout(packRoute(h), h.timeoutMs) : packRoute(h);
      byEndpoint.set(key, route);
      this.#size++;
    }
    return route;
  }

  #clear(): void {
    this.#routes.clear();
    this.#size = 0;
  }
}

/**
 * Encodes request headers, keeping the packed route of calls without metadata (the common case), and of calls whose
 * metadata is one frozen object reused call after call (a token middleware attaches), so a call costs writing the
 * time left into the cached bytes instead of a msgpack encode. Bounded: each cache empties past `limit` routes. The
 * bytes returned for a route without metadata or with frozen metadata are the cached ones: send them (a connection
 * copies what it sends) before the next `encode`.
 */
export class RequestHeaderEncoder {
  readonly #plain: RouteCache;
  readonly #frozen = new WeakMap<Metadata, RouteCache>();

  constructor(readonly limit = 1024) {
    this.#plain = new RouteCache(limit, true);
  }

  encode(h: RequestHeader): Uint8Array {
    if (h.metadata === EMPTY_METADATA || Object.keys(h.metadata).length === 0) return this.#plain.header(h);
    if (!Object.isFrozen(h.metadata)) return encodeRequest(h);
    let routes = this.#frozen.get(h.metadata);
    if (routes === undefined) {
      routes = new RouteCache(this.limit, true);
      this.#frozen.set(h.metadata, routes);
    }
    return routes.header(h);
  }
}

function decodeRoute(bytes: Uint8Array): Route {
  const [service, endpoint, ct, metadata] = unpack(bytes, 'request');
  return { service: str(service, 'service'), endpoint: str(endpoint, 'endpoint'), contentType: ct === 0 ? JSON_TYPE : str(ct, 'content type'), metadata: sanitizeMetadata(metadata) };
}

function readTimeout(bytes: Uint8Array): number {
  if (bytes.length < 5) throw new MicroError('PROTOCOL_ERROR', 'request header too short');
  const t = ((bytes[0] as number) * 0x1000000 + (((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number))) >>> 0;
  if (t === 0) throw new MicroError('PROTOCOL_ERROR', 'bad timeout in request header');
  return t;
}

export function decodeRequest(bytes: Uint8Array): RequestHeader {
  const route = decodeRoute(bytes.subarray(4));
  return { ...route, timeoutMs: readTimeout(bytes) };
}

/**
 * Decodes the request headers of one connection, reusing the last route when its bytes repeat (a peer calling
 * the same endpoint over and over sends the same route), so the common case decodes no strings.
 * The decoded header is shared and valid until the next `decode`.
 */
export class RequestHeaderDecoder {
  #last: Uint8Array | undefined;
  readonly #header: RequestHeader = { service: '', endpoint: '', contentType: JSON_TYPE, timeoutMs: 0, metadata: {} };
  /** Routes decoded so far: unchanged from one `decode` to the next when the route repeated. */
  routes = 0;

  decode(bytes: Uint8Array): RequestHeader {
    const timeoutMs = readTimeout(bytes);
    const h = this.#header;
    if (!this.#sameRoute(bytes)) {
      const route = decodeRoute(bytes.subarray(4));
      h.service = route.service;
      h.endpoint = route.endpoint;
      h.contentType = route.contentType;
      h.metadata = route.metadata;
      this.#last = bytes.slice(4);
      this.routes++;
    }
    h.timeoutMs = timeoutMs;
    return h;
  }

  #sameRoute(bytes: Uint8Array): boolean {
    const last = this.#last;
    if (last === undefined || last.length !== bytes.length - 4) return false;
    for (let i = 0; i < last.length; i++) if (last[i] !== bytes[i + 4]) return false;
    return true;
  }
}

/** An actor message to a remote node. `to` is a path; `inc`/`uid` pin an incarnation or a lineage. */
export interface MessageHeader {
  to: string;
  inc: number | undefined;
  uid: number | undefined;
  /** The sender's address (a reply endpoint for asks), if any. */
  from: string | undefined;
  contentType: string;
  metadata: Metadata;
}

export function encodeMessage(h: MessageHeader): Uint8Array {
  const ct = h.contentType === JSON_TYPE ? 0 : h.contentType;
  return pack([h.to, h.inc ?? 0, h.uid ?? 0, h.from ?? 0, ct, h.metadata]);
}

export function decodeMessage(bytes: Uint8Array): MessageHeader {
  const [to, inc, uid, from, ct, metadata] = unpack(bytes, 'message');
  return {
    to: str(to, 'target'),
    inc: typeof inc === 'number' && inc > 0 ? inc : undefined,
    uid: typeof uid === 'number' && uid > 0 ? uid : undefined,
    from: typeof from === 'string' && from.length > 0 ? from : undefined,
    contentType: ct === 0 ? JSON_TYPE : str(ct, 'content type'),
    metadata: sanitizeMetadata(metadata),
  };
}

export function encodeCredit(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function decodeCredit(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new MicroError('PROTOCOL_ERROR', 'bad credit frame');
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0);
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

export function encodeError(err: MicroError): Uint8Array {
  return textEncoder.encode(JSON.stringify(err.toJSON()));
}

export function decodeError(bytes: Uint8Array): MicroError {
  try {
    return MicroError.fromJSON(JSON.parse(textDecoder.decode(bytes)));
  } catch {
    return new MicroError('PROTOCOL_ERROR', 'garbled error frame');
  }
}
