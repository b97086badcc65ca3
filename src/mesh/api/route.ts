/**
 * How an HTTP request names its target: `POST /<service>/<Type.Method>`, go-micro's path style
 * `/<service>/<type>/<method>` (→ `Type.Method`) or `/<service>/<method>` (→ `Service.Method`), and go-micro's
 * `Micro-Service` / `Micro-Endpoint` headers (or their `X-` copies), which win over the path.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';

export interface Target {
  service: string;
  endpoint: string;
}

const capital = (s: string): string => (s === '' ? s : s[0]?.toUpperCase() + s.slice(1));

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name] ?? headers[`x-${name}`];
  return Array.isArray(v) ? v[0] : v;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MicroError('BAD_REQUEST', `the path segment ${JSON.stringify(segment)} is not valid percent-encoding`, { id: 'micro.api' });
  }
}

/** The path's segments, without the query string and empty segments. */
export function pathSegments(url: string): string[] {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const out: string[] = [];
  for (const s of path.split('/')) if (s !== '') out.push(s.includes('%') ? decode(s) : s);
  return out;
}

/** The endpoint a list of path segments (after the service) names, in go-micro's casing. */
export function endpointOf(service: string, rest: readonly string[]): string | undefined {
  if (rest.length === 0) return undefined;
  if (rest.length === 1) {
    const one = rest[0] as string;
    return one.includes('.') ? one : `${capital(service)}.${capital(one)}`;
  }
  return rest.map(capital).join('.');
}

/** The target of a call, or undefined when neither the path nor the headers name a service and an endpoint. */
export function targetOf(segments: readonly string[], headers: IncomingHttpHeaders): Target | undefined {
  const service = header(headers, 'micro-service') ?? segments[0];
  if (service === undefined || service === '') return undefined;
  const fromHeader = header(headers, 'micro-endpoint');
  const rest = segments[0] === service ? segments.slice(1) : segments;
  const endpoint = fromHeader ?? endpointOf(service, rest);
  return endpoint === undefined ? undefined : { service, endpoint };
}

/** Headers that describe the HTTP exchange itself, or that the gateway consumes: never call metadata. */
const NOT_METADATA = new Set([
  'host',
  'connection',
  'content-length',
  'content-type',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'accept',
  'accept-encoding',
  'accept-language',
  'origin',
  'referer',
  'user-agent',
  'timeout',
  'micro-service',
  'micro-endpoint',
  'x-micro-service',
  'x-micro-endpoint',
  'proxy-authorization',
  'proxy-connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
]);

/**
 * Call metadata from request headers (lower-case names, repeated values joined by `,`), as go-micro's gateway
 * does: W3C `traceparent`, `tracestate` and `baggage`, `authorization` and the application's own headers go through.
 */
export function metadataOf(headers: IncomingHttpHeaders): Metadata {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    if (NOT_METADATA.has(name) || name.startsWith('sec-fetch-') || name.startsWith('access-control-')) continue;
    const v = headers[name];
    if (v === undefined) continue;
    (out ??= {})[name] = Array.isArray(v) ? v.join(',') : v;
  }
  return out ?? EMPTY_METADATA;
}

/**
 * A call deadline from go-micro's `Timeout` header: an integer is nanoseconds (go-micro's encoding); `250ms`, `5s`
 * and `1m` are accepted too. Capped at `maxMs`; absent means `maxMs`; anything else is a 400.
 */
export function timeoutOf(headers: IncomingHttpHeaders, maxMs: number): number {
  const raw = headers.timeout;
  if (raw === undefined || raw === '') return maxMs;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m)?\s*$/.exec(Array.isArray(raw) ? (raw[0] as string) : raw);
  const scale: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000 };
  const ms = m === null ? Number.NaN : Number(m[1]) * (scale[m[2] ?? 'ns'] as number);
  if (!(ms > 0)) throw new MicroError('BAD_REQUEST', `the Timeout header wants a positive duration (nanoseconds, or 250ms, 5s), not ${JSON.stringify(raw)}`, { id: 'micro.api' });
  return Math.min(Math.max(1, Math.round(ms)), maxMs);
}
