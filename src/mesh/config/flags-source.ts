/** The command-line flags source: `--database.address=db:5432` or `--database.address db:5432`; `--verbose` is true. */
import type { ConfigSource, ConfigTree } from './config.ts';
import { parseScalar, setPath, splitPath } from './tree.ts';

export interface FlagsSourceOptions {
  /** The arguments. @default process.argv.slice(2) */
  argv?: readonly string[];
  /** Only flags that start with this (after `--`), which is cut off: `'config.'` takes `--config.db.port=1`. @default '' */
  prefix?: string;
}

/** The tree of `argv`'s long flags; parsing stops at `--`, positional arguments are skipped. */
export function flagsTree(argv: readonly string[], prefix = ''): ConfigTree {
  const tree: ConfigTree = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (!arg.startsWith('--') || arg.length === 2) continue;
    const eq = arg.indexOf('=');
    const key = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string | true;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) value = argv[++i] as string;
    else value = true;
    if (!key.startsWith(prefix) || key.length === prefix.length) continue;
    const path = splitPath(key.slice(prefix.length)).filter((p) => p !== '');
    if (path.length > 0) setPath(tree, path, value === true ? true : parseScalar(value));
  }
  return tree;
}

/**
 * The flags source (read once).
 * @example
 * createFlagsSource({ argv: ['--server.port=8080'] }) // server.port = 8080
 */
export function createFlagsSource(options: FlagsSourceOptions = {}): ConfigSource {
  const argv = options.argv ?? process.argv.slice(2);
  return { name: 'flags', read: async () => flagsTree(argv, options.prefix ?? '') };
}
