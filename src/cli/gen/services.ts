/**
 * Per .proto service: a typed client, a handler interface and a register function, as protoc-gen-micro writes for
 * Go. Endpoints are named `Service.Method`; bodies travel as `application/protobuf` with fully qualified types.
 */
import protobuf from 'protobufjs';
import { describeMessage } from './describe.ts';
import type { Identifiers } from './identifiers.ts';
import { lowerFirst, type TypeScope, tsName } from './naming.ts';
import { doc } from './types.ts';

type Kind = 'unary' | 'server' | 'client' | 'bidi';

interface Rpc {
  readonly method: string;
  readonly endpoint: string;
  readonly kind: Kind;
  readonly req: string;
  readonly res: string;
  readonly reqType: string;
  readonly resType: string;
  readonly idempotent: boolean;
  readonly comment: string | null;
  /** `request` and `response` descriptions for the registry, as TypeScript object literals. */
  readonly shapes: string;
}

const KIND_NOTE: Readonly<Record<Kind, string>> = {
  unary: 'Unary',
  server: 'Server streaming: one request, a stream of replies',
  client: 'Client streaming: a stream of requests, one reply',
  bidi: 'Bidirectional streaming',
};

function rpcs(service: protobuf.Service, scope: TypeScope): Rpc[] {
  return service.methodsArray.map((m) => {
    if (!(m.resolvedRequestType instanceof protobuf.Type) || !(m.resolvedResponseType instanceof protobuf.Type)) {
      throw new Error(`${m.fullName}: unresolved request or response type`);
    }
    const kind: Kind = m.requestStream ? (m.responseStream ? 'bidi' : 'client') : m.responseStream ? 'server' : 'unary';
    const level = (m.options as Record<string, unknown> | undefined)?.idempotency_level;
    return {
      method: lowerFirst(m.name),
      endpoint: `${service.name}.${m.name}`,
      kind,
      req: scope.ref(m.resolvedRequestType),
      res: scope.ref(m.resolvedResponseType),
      reqType: m.resolvedRequestType.fullName.slice(1),
      resType: m.resolvedResponseType.fullName.slice(1),
      idempotent: level === 'IDEMPOTENT' || level === 'NO_SIDE_EFFECTS',
      comment: m.comment,
      shapes: `request: ${JSON.stringify(describeMessage(m.resolvedRequestType))}, response: ${JSON.stringify(describeMessage(m.resolvedResponseType))}`,
    };
  });
}

/** The lines of one service's client, handler interface and register function. */
export function emitService(service: protobuf.Service, pkg: string, scope: TypeScope, ids: Identifiers): string[] {
  const name = tsName(service, pkg);
  const full = service.fullName.slice(1);
  const all = rpcs(service, scope);
  const constName = `${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_SERVICE`;
  return [
    `/** The registry name \`${name}Client\` and \`register${name}\` use unless told otherwise. */`,
    `export const ${constName} = '${full}';`,
    '',
    ...emitClient(name, constName, all, service.comment, ids),
    '',
    ...emitHandler(name, all, ids),
    '',
    ...emitRegister(name, constName, all, ids),
  ];
}

function emitClient(name: string, constName: string, all: readonly Rpc[], comment: string | null, i: Identifiers): string[] {
  const lines = [
    ...doc(comment, undefined, '', `A typed client of \`${name}\`: one method per rpc, bodies as application/protobuf.`),
    `export class ${name}Client {`,
    `  readonly #node: ${i.MeshNode};`,
    '  readonly #service: string;',
    '',
    `  /** @param service the registry name of the service; defaults to {@link ${constName}}. */`,
    `  constructor(node: ${i.MeshNode}, service: string = ${constName}) {`,
    `    ${i.ensureProtoTypes}(node, ${i.DESCRIPTOR});`,
    '    this.#node = node;',
    '    this.#service = service;',
    '  }',
  ];
  for (const r of all) {
    const opts = `${i.protobufOptions}(options, '${r.reqType}', '${r.resType}')`;
    lines.push('', ...doc(r.comment, undefined, '  ', `${KIND_NOTE[r.kind]}: \`${r.endpoint}\`.`));
    if (r.kind === 'unary') {
      lines.push(
        `  ${r.method}(request: ${r.req}, options?: ${i.CallOptions}): Promise<${r.res}> {`,
        `    return this.#node.client.call<${r.res}>(this.#service, '${r.endpoint}', request, ${opts});`,
      );
    } else if (r.kind === 'server') {
      lines.push(
        `  ${r.method}(request: ${r.req}, options?: ${i.CallOptions}): AsyncIterable<${r.res}> {`,
        `    return ${i.openServerStream}<${r.req}, ${r.res}>(this.#node, this.#service, '${r.endpoint}', request, ${opts});`,
      );
    } else if (r.kind === 'client') {
      lines.push(
        `  ${r.method}(options?: ${i.CallOptions}): Promise<${i.ClientSender}<${r.req}, ${r.res}>> {`,
        `    return ${i.openClientStream}<${r.req}, ${r.res}>(this.#node, this.#service, '${r.endpoint}', ${opts});`,
      );
    } else {
      lines.push(
        `  ${r.method}(options?: ${i.CallOptions}): Promise<${i.ClientStream}<${r.req}, ${r.res}>> {`,
        `    return this.#node.client.stream<${r.req}, ${r.res}>(this.#service, '${r.endpoint}', ${opts});`,
      );
    }
    lines.push('  }');
  }
  lines.push('}');
  return lines;
}

function emitHandler(name: string, all: readonly Rpc[], i: Identifiers): string[] {
  const lines = [`/** What a \`${name}\` server implements: one method per rpc. */`, `export interface ${name}Handler {`];
  for (const r of all) {
    lines.push(...doc(r.comment, undefined, '  ', `${KIND_NOTE[r.kind]}: \`${r.endpoint}\`.`));
    if (r.kind === 'unary') lines.push(`  ${r.method}(request: ${r.req}, ctx: ${i.CallContext}): ${r.res} | Promise<${r.res}>;`);
    else if (r.kind === 'server') lines.push(`  ${r.method}(request: ${r.req}, stream: ${i.StreamSender}<${r.res}>, ctx: ${i.CallContext}): void | Promise<void>;`);
    else if (r.kind === 'client') lines.push(`  ${r.method}(requests: AsyncIterable<${r.req}>, ctx: ${i.CallContext}): ${r.res} | Promise<${r.res}>;`);
    else lines.push(`  ${r.method}(stream: ${i.ServerStream}<${r.req}, ${r.res}>, ctx: ${i.CallContext}): void | Promise<void>;`);
  }
  lines.push('}');
  return lines;
}

function emitRegister(name: string, constName: string, all: readonly Rpc[], i: Identifiers): string[] {
  const lines = [
    `/** How \`register${name}\` serves: \`node.serve\` options plus the registry name and version. */`,
    `export interface Register${name}Options extends ${i.ServeOptions} {`,
    `  /** @default ${constName} */`,
    '  service?: string;',
    "  /** @default 'latest' */",
    '  version?: string;',
    '}',
    '',
    '/**',
    ` * Serves \`impl\` on \`node\` as the service \`${name}\` (endpoints \`${all[0]?.endpoint ?? `${name}.Method`}\`, …), with the message`,
    ' * types added to the node\'s protobuf codec.',
    ' */',
    `export async function register${name}(node: ${i.MeshNode}, impl: ${name}Handler, options: Register${name}Options = {}): Promise<void> {`,
    `  ${i.ensureProtoTypes}(node, ${i.DESCRIPTOR});`,
    `  const { service = ${constName}, version, ...serve } = options;`,
    `  const definition = ${i.defineService}({`,
    '    name: service,',
    '    ...(version === undefined ? {} : { version }),',
    '    endpoints: {',
  ];
  for (const r of all) {
    const types = `requestType: '${r.reqType}', responseType: '${r.resType}', ${r.shapes}`;
    if (r.kind === 'unary') {
      const idem = r.idempotent ? ' idempotent: true,' : '';
      lines.push(`      '${r.endpoint}': {${idem} ${types}, handler: (request: ${r.req}, ctx: ${i.CallContext}) => impl.${r.method}(request, ctx) },`);
    } else if (r.kind === 'server') {
      lines.push(`      '${r.endpoint}': { ${types}, stream: ${i.serveServerStream}<${r.req}, ${r.res}>((request, stream, ctx) => impl.${r.method}(request, stream, ctx)) },`);
    } else if (r.kind === 'client') {
      lines.push(`      '${r.endpoint}': { ${types}, stream: ${i.serveClientStream}<${r.req}, ${r.res}>((requests, ctx) => impl.${r.method}(requests, ctx)) },`);
    } else {
      lines.push(`      '${r.endpoint}': { ${types}, stream: (stream: ${i.ServerStream}<${r.req}, ${r.res}>, ctx: ${i.CallContext}) => impl.${r.method}(stream, ctx) },`);
    }
  }
  lines.push('    },', '  });', '  await node.serve(definition, serve);', '}');
  return lines;
}
