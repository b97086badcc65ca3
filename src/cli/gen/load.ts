/**
 * Loads .proto files into one protobufjs root the way protoc finds them: imports are resolved against the include
 * roots (`-I`), in order, and `google/protobuf/*.proto` falls back to the copies protobufjs bundles. Every file is
 * recorded with the name it is imported by, so the generator can lay out one TypeScript file per .proto.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import protobuf from 'protobufjs';

/** A bad .proto: the message names the file and, where known, `line:column`. */
export class ProtoError extends Error {
  override readonly name = 'ProtoError';
}

/** One loaded .proto file. */
export interface ProtoFile {
  /** Its import name, relative to an include root (`shop/orders.proto`): the key of the file everywhere. */
  readonly name: string;
  /** The declared package, `''` without one. */
  readonly pkg: string;
  /** Import names of the files it imports. */
  readonly imports: readonly string[];
  /** True for a google/protobuf file taken from protobufjs' bundled copies. */
  readonly bundled: boolean;
}

export interface LoadedProtos {
  readonly root: protobuf.Root;
  /** Every file loaded, inputs first, then imports in the order found. */
  readonly files: readonly ProtoFile[];
  /** The files named on the command line. */
  readonly inputs: readonly string[];
}

/** Field names are camelCased as protobufjs' own loader (and so the node's codec) does; comments are kept. */
export const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: false, alternateCommentMode: true };

const BUNDLED_PREFIX = 'google/protobuf/';

/**
 * Parses `inputs` and everything they import into one root and resolves every type reference.
 * @param includeRoots directories imports are resolved against, in order; without any, the inputs' own directories.
 * @throws ProtoError for a syntax error (`file:line:column: …`), an unresolved import (naming the roots tried) or an
 *   unknown type.
 */
export function loadProtos(inputs: readonly string[], includeRoots: readonly string[]): LoadedProtos {
  const roots = (includeRoots.length > 0 ? includeRoots : inputs.map((f) => dirname(f))).map((r) => resolve(r));
  const uniqueRoots = [...new Set(roots)];
  const root = new protobuf.Root();
  const files: ProtoFile[] = [];
  const seen = new Set<string>();

  const visit = (name: string, path: string | undefined): void => {
    if (seen.has(name)) return;
    seen.add(name);
    if (path === undefined) {
      const json = protobuf.common.get(name);
      if (json === null) throw new ProtoError(`no bundled ${name}`);
      root.addJSON(json.nested ?? {});
      files.push({ name, pkg: 'google.protobuf', imports: [], bundled: true });
      return;
    }
    const source = readFileSync(path, 'utf8');
    Object.assign(protobuf.parse, { filename: name });
    let parsed: protobuf.IParserResult;
    try {
      parsed = protobuf.parse(source, root, PARSE_OPTIONS);
    } catch (err) {
      throw syntaxError(displayPath(path), source, err);
    }
    const imports = [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])];
    files.push({ name, pkg: parsed.package ?? '', imports, bundled: false });
    for (const imp of imports) {
      const found = findImport(imp, uniqueRoots);
      if (found === undefined && !isBundled(imp)) {
        throw new ProtoError(`${displayPath(path)}: cannot resolve import "${imp}" (include roots tried: ${uniqueRoots.map(displayPath).join(', ')})`);
      }
      visit(imp, found);
    }
  };

  const inputNames: string[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    if (!existsSync(path)) throw new ProtoError(`${input}: no such file`);
    const name = importName(path, uniqueRoots);
    inputNames.push(name);
    visit(name, path);
  }
  try {
    root.resolveAll();
  } catch (err) {
    throw new ProtoError(err instanceof Error ? err.message : String(err));
  }
  return { root, files, inputs: inputNames };
}

function isBundled(name: string): boolean {
  return name.startsWith(BUNDLED_PREFIX) && protobuf.common.get(name) !== null;
}

function findImport(name: string, roots: readonly string[]): string | undefined {
  for (const root of roots) {
    const path = resolve(root, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The name a file is known by: relative to the first include root that holds it, else its base name. */
function importName(path: string, roots: readonly string[]): string {
  for (const root of roots) {
    const rel = relative(root, path);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split('\\').join('/');
  }
  return path.slice(dirname(path).length + 1);
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/**
 * protobufjs reports `illegal token 'x' (file, line N)` without a column; the column is where that token first
 * appears on the line (or the line's first non-blank character when the message names no token).
 */
function syntaxError(file: string, source: string, err: unknown): ProtoError {
  const message = err instanceof Error ? err.message : String(err);
  const at = /\s*\((?:[^()]*, )?line (\d+)\)\s*$/.exec(message);
  if (at === null) return new ProtoError(`${file}: ${message}`);
  const line = Number(at[1]);
  const text = source.split(/\r?\n/)[line - 1] ?? '';
  const token = /'([^']*)'/.exec(message)?.[1];
  const index = token === undefined || token === '' ? -1 : text.indexOf(token);
  const column = (index >= 0 ? index : Math.max(0, text.search(/\S/))) + 1;
  return new ProtoError(`${file}:${line}:${column}: ${message.slice(0, at.index)}`);
}
