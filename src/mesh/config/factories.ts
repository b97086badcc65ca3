/**
 * The built-in config sources as plugin factories: `env` (also `env:` URLs), `flags`, `memory`, and `file` (also
 * `file:///path` URLs). Engine plugins add `nats://…` and `etcd://…` the same way.
 */
import { fileURLToPath } from 'node:url';
import { MicroError } from '../errors.ts';
import type { PluginFactory } from '../plugins/plugin.ts';
import type { ConfigSource, ConfigTree } from './config.ts';
import { createEnvSource, type EnvSourceOptions } from './env-source.ts';
import { createFileSource, type FileSourceOptions } from './file-source.ts';
import { createFlagsSource, type FlagsSourceOptions } from './flags-source.ts';
import { createMemorySource } from './memory-source.ts';

/** Node-level settings of the config concern, handed to every config source factory. */
export interface ConfigConcernOptions {
  /** Changes of one source within this window are read once. @default 50 */
  debounceMs?: number;
  /** Settings of the `env` source; an `env:?prefix=APP_` URL overrides the prefix. @default { prefix: 'MICRO_' } */
  env?: Omit<EnvSourceOptions, 'env'>;
  /** Settings of the `flags` source. @default { argv: process.argv.slice(2) } */
  flags?: FlagsSourceOptions;
  /** Settings of `file` sources; a bare `file` needs `path`, a `file:///…?optional=true` URL sets its own. @default {} */
  file?: Partial<FileSourceOptions>;
  /** The tree a bare `memory` source starts with. @default {} */
  memory?: ConfigTree;
}

declare module '../plugins/concerns.ts' {
  interface PluginConcerns {
    config: ConfigSource;
  }
  interface ConcernOptions {
    config: ConfigConcernOptions;
  }
}

function onlyKeys(url: URL, what: string, known: readonly string[]): void {
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key)) throw new MicroError('BAD_REQUEST', `${what} URL: unknown setting "${key}" (known: ${known.join(', ') || 'none'})`);
  }
}

function fileOptions(url: URL | undefined, given: Partial<FileSourceOptions>): FileSourceOptions {
  if (url === undefined) {
    if (given.path === undefined) throw new MicroError('BAD_REQUEST', 'config source "file" needs a path: file:///absolute/path.yaml, or configOptions.file.path');
    return { ...given, path: given.path };
  }
  if (url.host !== '' || url.pathname === '' || url.pathname.endsWith('/')) {
    throw new MicroError('BAD_REQUEST', `config file URL ${JSON.stringify(url.href)}: use file:///absolute/path/to/config.yaml`);
  }
  onlyKeys(url, 'config file', ['optional', 'watch']);
  const flag = (key: string): boolean | undefined => (url.searchParams.has(key) ? url.searchParams.get(key) !== 'false' : undefined);
  return { ...given, path: fileURLToPath(url), ...defined({ optional: flag('optional'), watch: flag('watch') }) };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function builtinConfigFactories(): PluginFactory[] {
  return [
    {
      concern: 'config',
      name: 'env',
      schemes: ['env'],
      description: 'MICRO_* variables (MICRO_DATABASE_ADDRESS → database.address), the node\'s own settings left out; env:?prefix=APP_',
      create: (target, ctx) => {
        if (target.url !== undefined) onlyKeys(target.url, 'config env', ['prefix']);
        const prefix = target.url?.searchParams.get('prefix') ?? ctx.options.env?.prefix;
        return createEnvSource({ env: ctx.env, ...defined({ prefix }) });
      },
    },
    {
      concern: 'config',
      name: 'flags',
      description: 'command-line flags --a.b=value (process.argv)',
      create: (_target, ctx) => createFlagsSource(ctx.options.flags),
    },
    {
      concern: 'config',
      name: 'memory',
      description: 'a tree in this process (configOptions.memory); pass a createMemorySource() instance to change it',
      create: (_target, ctx) => createMemorySource(ctx.options.memory ?? {}),
    },
    {
      concern: 'config',
      name: 'file',
      schemes: ['file'],
      description: 'a JSON or YAML file, hot-reloaded; file:///path/config.yaml?optional=true',
      create: (target, ctx) => createFileSource(fileOptions(target.url, ctx.options.file ?? {})),
    },
  ];
}
