/**
 * Messages as interfaces and enums as `as const` objects, shaped like what the node's protobuf codec decodes with
 * its defaults: enums by name, 64-bit integers as decimal strings (numbers are accepted when sending), unset
 * message fields `null`. Every field is optional, so a message literal needs only the fields it sets.
 */
import protobuf from 'protobufjs';
import { type Definition, type TypeScope, tsName } from './naming.ts';

const SCALARS: Readonly<Record<string, string>> = {
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'string | number',
  uint64: 'string | number',
  sint64: 'string | number',
  fixed64: 'string | number',
  sfixed64: 'string | number',
  bool: 'boolean',
  string: 'string',
  bytes: 'Uint8Array',
};

/** The lines declaring the messages and enums among `defs`, all of package `pkg`. */
export function emitTypes(defs: readonly Definition[], pkg: string, scope: TypeScope): string[] {
  const out: string[] = [];
  for (const def of defs) {
    if (def instanceof protobuf.Type) out.push(...emitMessage(def, pkg, scope), '');
    else if (def instanceof protobuf.Enum) out.push(...emitEnum(def, pkg), '');
  }
  return out;
}

function emitMessage(type: protobuf.Type, pkg: string, scope: TypeScope): string[] {
  const lines = [...doc(type.comment, `Message \`${type.fullName.slice(1)}\`.`, ''), `export interface ${tsName(type, pkg)} {`];
  const oneofOf = new Map<protobuf.Field, protobuf.OneOf>();
  for (const oneof of type.oneofsArray) if (!isSyntheticOneof(oneof)) for (const f of oneof.fieldsArray) oneofOf.set(f, oneof);
  for (const field of type.fieldsArray) {
    const oneof = oneofOf.get(field);
    const note = oneof === undefined ? undefined : `Part of oneof \`${oneof.name}\`: set at most one of ${oneof.fieldsArray.map((f) => `\`${f.name}\``).join(', ')}.`;
    lines.push(...doc(field.comment, undefined, '  ', note), `  ${property(field.name)}?: ${fieldType(field, scope)};`);
  }
  lines.push('}');
  return lines;
}

/** `optional` in proto3 is a oneof of one field named `_field`: not worth a note. */
function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.name === `_${oneof.fieldsArray[0].name}`;
}

function fieldType(field: protobuf.Field, scope: TypeScope): string {
  const value = valueType(field, scope);
  if (field instanceof protobuf.MapField) return `{ [key: string]: ${value} }`;
  if (field.repeated) return value.includes(' ') ? `Array<${value}>` : `${value}[]`;
  return field.resolvedType instanceof protobuf.Type ? `${value} | null` : value;
}

function valueType(field: protobuf.Field, scope: TypeScope): string {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type || resolved instanceof protobuf.Enum) return scope.ref(resolved);
  const scalar = SCALARS[field.type];
  if (scalar === undefined) throw new Error(`${field.fullName}: unsupported field type ${field.type}`);
  return scalar;
}

function emitEnum(en: protobuf.Enum, pkg: string): string[] {
  const name = tsName(en, pkg);
  const lines = [...doc(en.comment, `Enum \`${en.fullName.slice(1)}\`: values travel by name.`, ''), `export const ${name} = {`];
  for (const [value, num] of Object.entries(en.values)) {
    lines.push(...doc(en.comments[value] ?? null, undefined, '  ', `${num} on the wire.`), `  ${property(value)}: '${value}',`);
  }
  lines.push('} as const;', `export type ${name} = (typeof ${name})[keyof typeof ${name}];`);
  return lines;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function property(name: string): string {
  return IDENTIFIER.test(name) ? name : `'${name}'`;
}

/** A JSDoc block from a .proto comment (or a fallback) and an extra note; nothing when both are empty. */
export function doc(comment: string | null | undefined, fallback: string | undefined, indent: string, note?: string): string[] {
  const text = [comment ?? fallback, note].filter((t): t is string => t !== undefined && t !== null && t.trim() !== '');
  if (text.length === 0) return [];
  const body = text
    .join('\n')
    .replace(/\*\//g, '*\\/')
    .split('\n')
    .map((l) => l.trimEnd());
  if (body.length === 1) return [`${indent}/** ${body[0]} */`];
  return [`${indent}/**`, ...body.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}
