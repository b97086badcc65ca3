/**
 * JSON Schema (2020-12) from a registry value description, for MCP tools' `inputSchema`. Types follow go-micro's
 * descriptions and protobuf's scalars: `[]T` is an array, `map[K]V` an object of V, a value with fields an object.
 */
import type { Value } from '../registry/registry.ts';

export type JsonSchema = Record<string, unknown>;

const SCALARS: Record<string, JsonSchema> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  boolean: { type: 'boolean' },
  bytes: { type: 'string', contentEncoding: 'base64' },
  double: { type: 'number' },
  float: { type: 'number' },
  float32: { type: 'number' },
  float64: { type: 'number' },
  number: { type: 'number' },
  int: { type: 'integer' },
  int32: { type: 'integer' },
  uint32: { type: 'integer', minimum: 0 },
  sint32: { type: 'integer' },
  fixed32: { type: 'integer', minimum: 0 },
  sfixed32: { type: 'integer' },
  // 64-bit integers travel as numbers or decimal strings (protobuf's JSON mapping uses strings).
  int64: { type: ['integer', 'string'] },
  uint64: { type: ['integer', 'string'] },
  sint64: { type: ['integer', 'string'] },
  fixed64: { type: ['integer', 'string'] },
  sfixed64: { type: ['integer', 'string'] },
};

const MAX_DEPTH = 16;

function typeSchema(type: string, values: readonly Value[] | undefined, depth: number): JsonSchema {
  if (depth > MAX_DEPTH) return {};
  if (type.startsWith('[]')) return { type: 'array', items: typeSchema(type.slice(2), values, depth + 1) };
  const map = /^map\[[^\]]+\](.+)$/.exec(type);
  if (map !== null) return { type: 'object', additionalProperties: typeSchema(map[1] as string, values, depth + 1) };
  if (values !== undefined && values.length > 0) {
    const properties: Record<string, JsonSchema> = {};
    for (const v of values) properties[v.name] = valueSchema(v, depth + 1);
    return { type: 'object', properties };
  }
  return SCALARS[type.replace(/^\*/, '')] ?? {};
}

/** The schema of one described value (a field, or a whole request). */
export function valueSchema(value: Value, depth = 0): JsonSchema {
  return typeSchema(value.type, value.values, depth);
}

/**
 * A tool's input schema: an object always (MCP requires it). An endpoint with no description takes any object; one
 * described without fields takes none.
 */
export function inputSchema(request: Value | undefined): JsonSchema {
  if (request === undefined) return { type: 'object' };
  const s = valueSchema(request);
  if (s.type === 'object') return s;
  if (request.values !== undefined) return { type: 'object', additionalProperties: false };
  return { type: 'object' };
}
