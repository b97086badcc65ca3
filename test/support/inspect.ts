import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ActorSnapshot } from '../../src/actors/snapshot.ts';

/** The actor at `path` in a snapshot, searched depth first. */
export function findActor(a: ActorSnapshot, path: string): ActorSnapshot | undefined {
  if (a.path === path) return a;
  for (const c of a.children) {
    const f = findActor(c, path);
    if (f) return f;
  }
  return undefined;
}

/** A finished span as plain JSON, so spans of other processes can be compared with this one's. */
export interface SpanLine {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

export function spanLine(s: ReadableSpan): SpanLine {
  return { name: s.name, kind: s.kind, traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: s.parentSpanContext?.spanId, attributes: s.attributes };
}
