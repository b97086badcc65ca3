/**
 * CloudEvents 1.0 for messages that leave the mesh. Binary mode (NATS): each attribute is a `ce-<name>` header
 * (written lowercase, read case-insensitively, values percent-encoded), `content-type` is the codec's, every
 * metadata entry is a header of its own and the body is the data. Structured mode (Redis, and NATS messages whose
 * content type is `application/cloudevents+json`): one JSON object with the attributes, metadata as extension
 * attributes (keys that are not valid extension names, or collide with a standard one, under `metadata`), and
 * `data` (JSON bodies) or `data_base64` (anything else).
 */
import { randomUUID } from 'node:crypto';
import { EMPTY_METADATA } from '../metadata.ts';
import type { BrokerMessage } from './broker.ts';

export const SPEC_VERSION = '1.0';
export const STRUCTURED_JSON = 'application/cloudevents+json';
const JSON_TYPE = 'application/json';
const EMPTY = new Uint8Array(0);
const STANDARD = new Set(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'dataschema', 'subject', 'data', 'data_base64', 'metadata']);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const NEEDS_ENCODING = /[^\u0021-\u007e]|["%]/;

/** Whether a header value goes as it is: printable ASCII but `"` and `%` (a loop: the regex test cost more). */
function isPlainValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x25) return false;
  }
  return true;
}

/** Percent-encodes space, `"`, `%` and anything outside printable ASCII (UTF-8 bytes), as the NATS binding asks. */
export function encodeHeaderValue(v: string): string {
  if (isPlainValue(v)) return v;
  let out = '';
  for (const ch of v) {
    if (NEEDS_ENCODING.test(ch)) for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

export function decodeHeaderValue(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/**
 * The header lines of a message in binary mode (`name: value\r\n` each), in order: the `ce-*` attributes,
 * content-type, then metadata. Metadata is checked at publish, so only attribute values need encoding.
 */
export function binaryHeaderLines(m: BrokerMessage): string {
  let text = `ce-specversion: ${SPEC_VERSION}\r\nce-id: ${encodeHeaderValue(m.id)}\r\nce-source: ${encodeHeaderValue(m.source)}\r\nce-type: ${encodeHeaderValue(m.type)}\r\nce-time: ${m.time}\r\ncontent-type: ${m.contentType}\r\n`;
  for (const k in m.metadata) text += `${k}: ${encodeHeaderValue(m.metadata[k] as string)}\r\n`;
  return text;
}

/**
 * Ids and times for events made here: a random prefix and a counter (unique per source, as CloudEvents asks), and
 * the ISO time of the current millisecond, made once per millisecond.
 */
export class EventStamps {
  readonly #prefix = randomUUID().slice(0, 13);
  #count = 0;
  #lastMs = 0;
  #lastTime = '';

  /** The `source` of the events these stamps are for. */
  constructor(readonly source: string) {}

  id(): string {
    return `${this.#prefix}${(++this.#count).toString(36)}`;
  }

  time(): string {
    const ms = Date.now();
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTime = new Date(ms).toISOString();
    }
    return this.#lastTime;
  }
}

/** What a foreign message turned out to be: a message, or why it is not one. */
export type Parsed = { ok: true; message: BrokerMessage } | { ok: false; reason: string };

const bad = (reason: string): Parsed => ({ ok: false, reason });

const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/;
/** The last time that passed: a publisher stamps a millisecond's events with one time, so most checks are this. */
let lastTime = '';
const isTime = (v: string): boolean => {
  if (v === lastTime) return true;
  if (!RFC3339.test(v)) return false;
  lastTime = v;
  return true;
};
const isStructured = (contentType: string): boolean => contentType.length >= STRUCTURED_JSON.length && contentType.toLowerCase().startsWith(STRUCTURED_JSON);

/** The attributes of a binary-mode message, gathered header by header. */
interface BinaryAttributes {
  contentType: string;
  spec: string | undefined;
  id: string | undefined;
  source: string | undefined;
  type: string | undefined;
  time: string | undefined;
  dataContentType: string | undefined;
  any: boolean;
  metadata: Record<string, string> | undefined;
}

const newAttributes = (): BinaryAttributes => ({
  contentType: JSON_TYPE,
  spec: undefined,
  id: undefined,
  source: undefined,
  type: undefined,
  time: undefined,
  dataContentType: undefined,
  any: false,
  metadata: undefined,
});

/** Reads one header whose name is already lowercase (`ce-…`, `content-type`, or a metadata key as it came). */
function readLower(a: BinaryAttributes, k: string, value: string, decode: boolean): void {
  if (!k.startsWith('ce-')) {
    if (k === 'content-type') a.contentType = value;
    else (a.metadata ??= {})[k] = decode ? decodeHeaderValue(value) : value;
    return;
  }
  a.any = true;
  const v = decode ? decodeHeaderValue(value) : value;
  switch (k) {
    case 'ce-specversion':
      a.spec = v;
      break;
    case 'ce-id':
      a.id = v;
      break;
    case 'ce-source':
      a.source = v;
      break;
    case 'ce-type':
      a.type = v;
      break;
    case 'ce-time':
      a.time = v;
      break;
    case 'ce-datacontenttype':
      a.dataContentType = v;
      break;
    default:
      (a.metadata ??= {})[k.slice(3)] = v;
  }
}

/** One header by its name in any case: `ce-*` and `content-type` are matched lowercased, metadata keeps its name. */
function readHeader(a: BinaryAttributes, name: string, value: string): void {
  const ce = name.length > 2 && (name.charCodeAt(0) | 0x20) === 0x63 && (name.charCodeAt(1) | 0x20) === 0x65 && name.charCodeAt(2) === 0x2d;
  if (ce || (name.length === 12 && name.toLowerCase() === 'content-type')) readLower(a, name.toLowerCase(), value, true);
  else readLower(a, name, value, true);
}

function fromAttributes(topic: string, a: BinaryAttributes, body: Uint8Array, foreign: EventStamps): Parsed {
  if (isStructured(a.contentType)) return fromStructured(topic, body);
  const metadata = a.metadata ?? EMPTY_METADATA;
  if (!a.any) return { ok: true, message: { topic, body, contentType: a.contentType, metadata, id: foreign.id(), source: foreign.source, type: topic, time: foreign.time() } };
  if (a.spec !== SPEC_VERSION) return bad(`ce-specversion is ${JSON.stringify(a.spec ?? null)}, not "1.0"`);
  if (!a.id) return bad('ce-id is missing');
  if (!a.source) return bad('ce-source is missing');
  if (!a.type) return bad('ce-type is missing');
  if (a.time !== undefined && !isTime(a.time)) return bad(`ce-time ${JSON.stringify(a.time)} is not an RFC 3339 time`);
  const message: BrokerMessage = { topic, body, contentType: a.dataContentType ?? a.contentType, metadata, id: a.id, source: a.source, type: a.type, time: a.time ?? new Date().toISOString() };
  return { ok: true, message };
}

/**
 * A binary-mode message from its headers (names in any case). Without any `ce-` header it is a plain message
 * (an id, source and time from `foreign`, the topic as type); with some, `ce-specversion` must be 1.0
 * and `ce-id`, `ce-source` and `ce-type` present. A `content-type` of `application/cloudevents+json` means
 * structured mode: the body is the event.
 */
export function fromBinary(topic: string, headers: Iterable<[string, string]>, body: Uint8Array, foreign: EventStamps): Parsed {
  const a = newAttributes();
  for (const [name, value] of headers) readHeader(a, name, value);
  return fromAttributes(topic, a, body, foreign);
}

/** The lowercase names the block parser knows by their length; others, and these in another case, go the slow way. */
function knownName(block: string, at: number, end: number): string | undefined {
  switch (end - at) {
    case 5:
      return block.startsWith('ce-id', at) ? 'ce-id' : undefined;
    case 7:
      return block.startsWith('ce-type', at) ? 'ce-type' : block.startsWith('ce-time', at) ? 'ce-time' : undefined;
    case 9:
      return block.startsWith('ce-source', at) ? 'ce-source' : undefined;
    case 12:
      return block.startsWith('content-type', at) ? 'content-type' : undefined;
    case 14:
      return block.startsWith('ce-specversion', at) ? 'ce-specversion' : undefined;
    case 18:
      return block.startsWith('ce-datacontenttype', at) ? 'ce-datacontenttype' : undefined;
    default:
      return undefined;
  }
}

/** Whitespace `trim` would remove, as far as a latin1 header block can hold it. */
const isSpace = (c: number): boolean => c <= 0x20 || c === 0xa0;

const OWN_HEAD = `NATS/1.0\r\nce-specversion: ${SPEC_VERSION}\r\nce-id: `;
const OWN_NAMES = ['ce-source: ', 'ce-type: ', 'ce-time: ', 'content-type: '] as const;

/**
 * The lines micromesh writes first, in its order (`ce-specversion: 1.0`, `ce-id`, `ce-source`, `ce-type`,
 * `ce-time`, `content-type`, one space after each colon), read without searching for names. Returns where the
 * lines after them (metadata) start, or -1, with `a` untouched, when the block is laid out any other way.
 */
function readOwnLines(a: BinaryAttributes, block: string, decode: boolean): number {
  if (!block.startsWith(OWN_HEAD)) return -1;
  const values: string[] = [];
  let at = OWN_HEAD.length;
  for (let i = 0; ; i++) {
    const eol = block.indexOf('\r\n', at);
    if (eol <= at || isSpace(block.charCodeAt(at)) || isSpace(block.charCodeAt(eol - 1))) return -1;
    values.push(block.slice(at, eol));
    at = eol + 2;
    const name = OWN_NAMES[i];
    if (name === undefined) break;
    if (!block.startsWith(name, at)) return -1;
    at += name.length;
  }
  const [id, source, type, time, contentType] = values as [string, string, string, string, string];
  a.any = true;
  a.spec = SPEC_VERSION;
  a.id = decode ? decodeHeaderValue(id) : id;
  a.source = decode ? decodeHeaderValue(source) : source;
  a.type = decode ? decodeHeaderValue(type) : type;
  a.time = decode ? decodeHeaderValue(time) : time;
  a.contentType = contentType;
  return at;
}

/**
 * {@link fromBinary} from a raw header block (`NATS/1.0` status line, then `name: value` lines), parsed in place;
 * a repeated header keeps its last value. The names micromesh writes, lowercase, are matched where they stand;
 * values are percent-decoded only when the block has a `%` at all.
 */
export function fromHeaderBlock(topic: string, block: string, body: Uint8Array, foreign: EventStamps): Parsed {
  const a = newAttributes();
  const decode = block.includes('%');
  const n = block.length;
  let at = readOwnLines(a, block, decode);
  if (at === -1) at = block.indexOf('\r\n') + 2;
  while (at > 1 && at < n) {
    let eol = block.indexOf('\r\n', at);
    if (eol === -1) eol = n;
    const colon = block.indexOf(':', at);
    if (colon > at && colon < eol) {
      let vs = colon + 1;
      while (block.charCodeAt(vs) === 0x20) vs++;
      const value = vs < eol && isSpace(block.charCodeAt(eol - 1)) ? block.slice(vs, eol).trimEnd() : block.slice(vs, eol);
      const known = isSpace(block.charCodeAt(at)) || isSpace(block.charCodeAt(colon - 1)) ? undefined : knownName(block, at, colon);
      if (known === undefined) readHeader(a, block.slice(at, colon).trim(), value);
      else readLower(a, known, value, decode);
    }
    at = eol + 2;
  }
  return fromAttributes(topic, a, body, foreign);
}

function isJson(contentType: string): boolean {
  const bare = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return bare === JSON_TYPE || bare.endsWith('+json');
}

/** One structured-mode event as JSON text; a JSON body is embedded as it is, without decoding it. */
export function toStructured(m: BrokerMessage): string {
  const head: Record<string, unknown> = { specversion: SPEC_VERSION, id: m.id, source: m.source, type: m.type, time: m.time, datacontenttype: m.contentType };
  let other: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(m.metadata)) {
    if (EXTENSION_NAME.test(k) && !STANDARD.has(k)) head[k] = v;
    else (other ??= {})[k] = v;
  }
  if (other !== undefined) head.metadata = other;
  const text = JSON.stringify(head);
  if (m.body.length === 0) return text;
  if (isJson(m.contentType)) return `${text.slice(0, -1)},"data":${Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('utf8')}}`;
  return `${text.slice(0, -1)},"data_base64":"${Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength).toString('base64')}"}`;
}

/** A structured-mode event from JSON text: specversion 1.0, id, source and type required; `data` or `data_base64`. */
export function fromStructured(topic: string, raw: Uint8Array | string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    return bad('not JSON: a structured CloudEvent was expected');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('not a JSON object: a structured CloudEvent was expected');
  const e = v as Record<string, unknown>;
  if (e.specversion !== SPEC_VERSION) return bad(`specversion is ${JSON.stringify(e.specversion ?? null)}, not "1.0"`);
  for (const required of ['id', 'source', 'type'] as const) {
    if (typeof e[required] !== 'string' || e[required] === '') return bad(`${required} is missing or not a string`);
  }
  if (e.time !== undefined && (typeof e.time !== 'string' || !isTime(e.time))) return bad('time is not an RFC 3339 time');
  const contentType = typeof e.datacontenttype === 'string' ? e.datacontenttype : JSON_TYPE;
  let body: Uint8Array;
  let decoded: { value: unknown } | undefined;
  if (typeof e.data_base64 === 'string') body = Buffer.from(e.data_base64, 'base64');
  else if (e.data === undefined) body = new Uint8Array(0);
  else if (isJson(contentType)) {
    // Parsed already: the subscription takes the value, and no bytes are made to be parsed again.
    decoded = { value: e.data };
    body = EMPTY;
  } else if (typeof e.data === 'string') body = Buffer.from(e.data, 'utf8');
  else return bad(`data is not a string for datacontenttype ${contentType}`);
  const metadata: Record<string, string> = {};
  for (const [k, val] of Object.entries(e)) if (!STANDARD.has(k) && typeof val === 'string') metadata[k] = val;
  if (e.metadata !== null && typeof e.metadata === 'object') for (const [k, val] of Object.entries(e.metadata)) if (typeof val === 'string') metadata[k] = val;
  return {
    ok: true,
    message: {
      topic,
      body,
      contentType,
      metadata,
      id: e.id as string,
      source: e.source as string,
      type: e.type as string,
      time: typeof e.time === 'string' ? e.time : new Date().toISOString(),
      ...(decoded === undefined ? {} : { decoded }),
    },
  };
}

