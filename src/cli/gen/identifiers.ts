/**
 * The names generated code imports (from micromesh and the runtime file) and uses for itself. A message or enum of
 * the same name (`message MeshNode`) would shadow one, so each colliding import is aliased with a `$` prefix, which
 * no .proto name can have.
 */

const MESH = ['CallContext', 'CallOptions', 'ClientStream', 'defineService', 'MeshNode', 'ServeOptions', 'ServerStream'] as const;
const RUNTIME = ['ClientSender', 'ensureProtoTypes', 'openClientStream', 'openServerStream', 'ProtoJson', 'protobufOptions', 'serveClientStream', 'serveServerStream', 'StreamSender'] as const;
const OWN = ['DESCRIPTOR'] as const;

export type Identifier = (typeof MESH)[number] | (typeof RUNTIME)[number] | (typeof OWN)[number];

/** The identifier to write for each name, given the names the file itself declares. */
export type Identifiers = Readonly<Record<Identifier, string>>;

export function identifiersFor(declared: ReadonlySet<string>): Identifiers {
  const out = {} as Record<Identifier, string>;
  for (const name of [...MESH, ...RUNTIME, ...OWN]) out[name] = declared.has(name) ? `$${name}` : name;
  return out;
}

/** An import specifier for `name`: `type MeshNode`, or `type MeshNode as $MeshNode` when it is aliased. */
export function importName(ids: Identifiers, name: Identifier, typeOnly: boolean): string {
  const alias = ids[name] === name ? name : `${name} as ${ids[name]}`;
  return typeOnly ? `type ${alias}` : alias;
}
