/** String headers carried with every call, stream, publish and actor message (W3C `traceparent` rides here). */
export type Metadata = Readonly<Record<string, string>>;

export const EMPTY_METADATA: Metadata = Object.freeze({});

/** Well-known metadata keys. */
export const MetadataKey = {
  TraceParent: 'traceparent',
  TraceState: 'tracestate',
  /** The calling node's id, set by the mesh on the server side. */
  CallerNode: 'micro-from-node',
} as const;

/** Keeps only string keys with string values, so foreign input never carries other types inward. */
export function sanitizeMetadata(input: unknown): Metadata {
  if (input === null || typeof input !== 'object') return EMPTY_METADATA;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (typeof v !== 'string') continue;
    (out ??= {})[k] = v;
  }
  return out ?? EMPTY_METADATA;
}

export function mergeMetadata(base: Metadata | undefined, extra: Metadata | undefined): Metadata {
  if (extra === undefined || Object.keys(extra).length === 0) return base ?? EMPTY_METADATA;
  if (base === undefined || Object.keys(base).length === 0) return extra;
  return { ...base, ...extra };
}
