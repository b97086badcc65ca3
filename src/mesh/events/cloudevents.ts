/**
 * CloudEvents 1.0 on the wire, so programs written without micromesh read and write our events. Binary mode (NATS):
 * each attribute a lowercase `ce-<attr>` header, percent-encoded, `content-type` from the codec, metadata as plain
 * headers, the body the encoded data; read case-insensitively. Structured mode (Redis): one JSON object, `data`
 * inline when the content type is JSON, else `data_base64`. The event key travels as the `partitionkey` extension.
 */
import type { Metadata } from '../metadata.ts';
import type { OutgoingEvent } from './events.ts';
import { decodeHeaderValue, encodeHeaderValue } from '../broker/cloudevents.ts';

/** The attributes of an event read back; absent ones are undefined. */
export interface ReadEvent {
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly source: string | undefined;
  readonly time: number | undefined;
  readonly key: string | undefined;
  readonly contentType: string | undefined;
  readonly metadata: Metadata;
  /** The data's bytes; empty when `value` holds it instead (see {@link dataBytes}). */
  readonly data: Uint8Array;
  /** The data as parsed from structured JSON (JSON content types only), so it need not be decoded again. */
  readonly value?: { readonly value: unknown };
  /** Why the event cannot be read (a bad specversion, bad JSON), if it cannot. */
  readonly malformed?: string;
}

const CE = 'ce-';

/** The headers of an event in binary mode, names lowercase. */
export function binaryHeaders(event: OutgoingEvent): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ['ce-specversion', '1.0'],
    ['ce-id', encodeHeaderValue(event.id)],
    ['ce-source', encodeHeaderValue(event.source)],
    ['ce-type', encodeHeaderValue(event.type)],
    ['ce-time', new Date(event.time).toISOString()],
    ['content-type', event.contentType],
  ];
  if (event.key !== undefined) out.push(['ce-partitionkey', encodeHeaderValue(event.key)]);
  for (const [k, v] of Object.entries(event.metadata)) out.push([k, encodeHeaderValue(v)]);
  return out;
}

/** An event from binary-mode headers (any case); other headers become metadata. `skip` drops transport headers. */
export function fromBinary(headers: Iterable<[string, string]>, data: Uint8Array, skip: (lowerName: string) => boolean = () => false): ReadEvent {
  const attrs = new Map<string, string>();
  const metadata: Record<string, string> = {};
  let contentType: string | undefined;
  for (const [name, raw] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'content-type') contentType = raw;
    else if (lower.startsWith(CE)) attrs.set(lower.slice(CE.length), decodeHeaderValue(raw));
    else if (!skip(lower)) metadata[name] = decodeHeaderValue(raw);
  }
  if (contentType !== undefined && /^application\/cloudevents/i.test(contentType)) return fromStructured(Buffer.from(data).toString('utf8'), metadata);
  const spec = attrs.get('specversion');
  const time = attrs.get('time') === undefined ? undefined : Date.parse(attrs.get('time') as string);
  return {
    id: attrs.get('id'),
    type: attrs.get('type'),
    source: attrs.get('source'),
    time: time === undefined || Number.isNaN(time) ? undefined : time,
    key: attrs.get('partitionkey'),
    contentType: contentType ?? attrs.get('datacontenttype'),
    metadata,
    data,
    ...(spec !== undefined && !spec.startsWith('1.') ? { malformed: `unsupported CloudEvents specversion ${JSON.stringify(spec)}` } : {}),
  };
}

const isJson = (contentType: string): boolean => /^application\/([a-z0-9.+-]*\+)?json(;|$)/i.test(contentType);

/** An event as one structured-mode CloudEvents JSON text. */
export function toStructured(event: OutgoingEvent): string {
  const head = JSON.stringify({
    specversion: '1.0',
    id: event.id,
    source: event.source,
    type: event.type,
    time: new Date(event.time).toISOString(),
    datacontenttype: event.contentType,
    ...(event.key === undefined ? {} : { partitionkey: event.key }),
  });
  if (event.data.length === 0) return head;
  const body = isJson(event.contentType) ? `"data":${Buffer.from(event.data.buffer, event.data.byteOffset, event.data.length).toString('utf8')}` : `"data_base64":"${Buffer.from(event.data).toString('base64')}"`;
  return `${head.slice(0, -1)},${body}}`;
}

/** An event from a structured-mode JSON text; anything it cannot read makes it `malformed`, never a throw. */
export function fromStructured(text: string, metadata: Metadata = {}): ReadEvent {
  const bad = (why: string): ReadEvent => ({ id: undefined, type: undefined, source: undefined, time: undefined, key: undefined, contentType: 'application/octet-stream', metadata, data: Buffer.from(text, 'utf8'), malformed: why });
  let ce: Record<string, unknown>;
  try {
    ce = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return bad(`not CloudEvents JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (ce === null || typeof ce !== 'object' || Array.isArray(ce)) return bad('not CloudEvents JSON: not an object');
  const str = (k: string): string | undefined => (typeof ce[k] === 'string' ? (ce[k] as string) : undefined);
  const spec = str('specversion');
  if (spec === undefined || !spec.startsWith('1.')) return bad(`unsupported CloudEvents specversion ${JSON.stringify(ce.specversion)}`);
  const contentType = str('datacontenttype') ?? 'application/json';
  let data: Uint8Array;
  let value: { value: unknown } | undefined;
  if (typeof ce.data_base64 === 'string') data = Buffer.from(ce.data_base64, 'base64');
  else if (ce.data === undefined) data = new Uint8Array(0);
  else if (isJson(contentType)) {
    // No bytes: the consumer takes the parsed value; dataBytes() makes them when needed (a dead letter).
    value = { value: ce.data };
    data = new Uint8Array(0);
  } else if (typeof ce.data === 'string') data = Buffer.from(ce.data, 'utf8');
  else return bad(`data of content type ${contentType} must be a string or data_base64`);
  const time = str('time') === undefined ? undefined : Date.parse(str('time') as string);
  return { id: str('id'), type: str('type'), source: str('source'), time: time === undefined || Number.isNaN(time) ? undefined : time, key: str('partitionkey'), contentType, metadata, data, ...(value === undefined ? {} : { value }) };
}

/** The data of a read event as bytes, encoding a parsed JSON `value` again if that is where it is. */
export function dataBytes(event: ReadEvent): Uint8Array {
  return event.value === undefined ? event.data : Buffer.from(JSON.stringify(event.value.value), 'utf8');
}
