/**
 * Names in the generated TypeScript: which .proto file defines each type, the TypeScript name of a (nested) type,
 * the output path of a file, and how one generated file refers to a type in another.
 */
import { posix } from 'node:path';
import protobuf from 'protobufjs';
import type { LoadedProtos, ProtoFile } from './load.ts';

export type Definition = protobuf.Type | protobuf.Enum | protobuf.Service;

/** Every message, enum and service of the loaded files, each with the file that defines it. */
export interface Definitions {
  readonly owner: ReadonlyMap<Definition, ProtoFile>;
  /** Per file name: its definitions, nested ones after their parent, in declaration order. */
  readonly byFile: ReadonlyMap<string, readonly Definition[]>;
}

export function collectDefinitions(loaded: LoadedProtos): Definitions {
  const fileByName = new Map(loaded.files.map((f) => [f.name, f]));
  const bundledTop = new Map<string, ProtoFile>();
  for (const file of loaded.files.filter((f) => f.bundled)) {
    const ns = protobuf.common.get(file.name) ?? {};
    const pkg = ['google', 'protobuf'].reduce<protobuf.INamespace | undefined>((at, name) => at?.nested?.[name] as protobuf.INamespace | undefined, ns);
    for (const name of Object.keys(pkg?.nested ?? {})) bundledTop.set(`.google.protobuf.${name}`, file);
  }
  const owner = new Map<Definition, ProtoFile>();
  const byFile = new Map<string, Definition[]>(loaded.files.map((f) => [f.name, []]));
  const fileOf = (def: Definition): ProtoFile | undefined => {
    if (def.filename !== null && def.filename !== undefined) return fileByName.get(def.filename);
    let top: protobuf.ReflectionObject = def;
    while (top.parent !== null && top.parent instanceof protobuf.Type) top = top.parent;
    return bundledTop.get(top.fullName);
  };
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type || child instanceof protobuf.Enum || child instanceof protobuf.Service) {
        const file = fileOf(child);
        if (file !== undefined) {
          owner.set(child, file);
          byFile.get(file.name)?.push(child);
        }
      }
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(loaded.root);
  return { owner, byFile };
}

/** `.shop.Order.Item` in package `shop` → `Order_Item`: nested names never clash across parents. */
export function tsName(def: Definition, pkg: string): string {
  const full = def.fullName.slice(1);
  const local = pkg !== '' && full.startsWith(`${pkg}.`) ? full.slice(pkg.length + 1) : full;
  return local.split('.').join('_');
}

/** `shop/orders.proto` → `shop/orders.ts`. */
export function outputPath(file: ProtoFile | string): string {
  const name = typeof file === 'string' ? file : file.name;
  return `${name.replace(/\.proto$/, '')}.ts`;
}

/** A module specifier from one generated file to another, as nodenext wants it (`./common/money.js`). */
export function importSpecifier(fromOut: string, toOut: string): string {
  const rel = posix.relative(posix.dirname(fromOut), toOut).replace(/\.ts$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** `lowerCamel` for method names: `SayHello` → `sayHello`. */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * The types one generated file refers to: local ones by name, those of other files through a namespace import
 * (`$common_money.Money`), so two files may define the same name.
 */
export class TypeScope {
  readonly #file: ProtoFile;
  readonly #defs: Definitions;
  readonly #imports = new Map<string, string>();

  constructor(file: ProtoFile, defs: Definitions) {
    this.#file = file;
    this.#defs = defs;
  }

  /** The TypeScript reference to a message or enum, importing its file when it is another one. */
  ref(def: protobuf.Type | protobuf.Enum): string {
    const owner = this.#defs.owner.get(def);
    if (owner === undefined) throw new Error(`no file defines ${def.fullName}`);
    const name = tsName(def, owner.pkg);
    if (owner.name === this.#file.name) return name;
    const alias = `$${outputPath(owner).replace(/\.ts$/, '').replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.#imports.set(alias, importSpecifier(outputPath(this.#file), outputPath(owner)));
    return `${alias}.${name}`;
  }

  /** `import type * as …` lines for the other files referred to so far. */
  importLines(): string[] {
    return [...this.#imports].sort(([a], [b]) => a.localeCompare(b)).map(([alias, spec]) => `import type * as ${alias} from '${spec}';`);
  }
}
