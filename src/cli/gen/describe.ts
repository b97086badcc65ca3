/**
 * Registry descriptions of generated endpoints: a message as a `Value` tree (field names as the generated types
 * spell them, go-micro's `[]T` and `map[K]V` for repeated fields and maps), so `micro describe` shows the shapes and
 * the gateway's MCP tools get an input schema. Nesting stops at a few levels and at a message already on the path.
 */
import protobuf from 'protobufjs';
import type { Value } from '../../mesh/registry/registry.ts';

const MAX_DEPTH = 4;

function fieldValue(field: protobuf.Field, path: ReadonlySet<protobuf.Type>, depth: number): Value {
  field.resolve();
  const resolved = field.resolvedType;
  let type = resolved instanceof protobuf.Enum ? 'string' : resolved instanceof protobuf.Type ? resolved.name : field.type;
  let values: Value[] | undefined;
  if (resolved instanceof protobuf.Type && !path.has(resolved) && depth < MAX_DEPTH) values = fieldsOf(resolved, path, depth + 1);
  if (field instanceof protobuf.MapField) type = `map[${field.keyType}]${type}`;
  else if (field.repeated) type = `[]${type}`;
  return values === undefined || values.length === 0 ? { name: field.name, type } : { name: field.name, type, values };
}

function fieldsOf(message: protobuf.Type, path: ReadonlySet<protobuf.Type>, depth: number): Value[] {
  const inner = new Set(path).add(message);
  return message.fieldsArray.map((f) => fieldValue(f, inner, depth));
}

/** The description of a request or response message. */
export function describeMessage(message: protobuf.Type): Value {
  return { name: message.name, type: message.name, values: fieldsOf(message, new Set(), 0) };
}
