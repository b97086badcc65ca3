/**
 * The env source: `MICRO_DATABASE_ADDRESS=db:5432` is `database.address`, `true`/`false` are booleans and numbers
 * are numbers. With the `MICRO_` prefix the node's own settings are not config: see {@link isNodeSetting}.
 */
import type { PluginEnv } from '../plugins/plugin.ts';
import { Concern } from '../plugins/concerns.ts';
import type { ConfigSource, ConfigTree } from './config.ts';
import { parseScalar, setPath } from './tree.ts';

export interface EnvSourceOptions {
  /** The environment to read. @default process.env */
  env?: PluginEnv;
  /** Only variables with this prefix, which is cut off. @default 'MICRO_' */
  prefix?: string;
}

/**
 * The names after `MICRO_` that the node reads for itself: each, and each followed by `_…`, is left out of the env
 * source (with the default prefix only). That is every concern (`MICRO_REGISTRY`, `MICRO_STORE_…`, `MICRO_CONFIG`,
 * `MICRO_AUTH_…`), NODE, ADDRESS, ADVERTISE, LOG, MDNS, OPS, API, TLS, OUTPUT and TIMEOUT, and the engines NATS,
 * REDIS, POSTGRES and ETCD.
 */
export const NODE_SETTING_GROUPS: readonly string[] = [
  ...Object.values(Concern).map((c) => c.toUpperCase()),
  'NODE',
  'ADDRESS',
  'ADVERTISE',
  'LOG',
  'MDNS',
  'OPS',
  'API',
  'TLS',
  'OUTPUT',
  'TIMEOUT',
  'SELECTOR',
  'DASHBOARD',
  'NATS',
  'REDIS',
  'POSTGRES',
  'ETCD',
];

/** Whether `MICRO_<rest>` is one of the node's own settings rather than config. */
export function isNodeSetting(variable: string): boolean {
  if (!variable.startsWith('MICRO_')) return false;
  const rest = variable.slice('MICRO_'.length);
  return NODE_SETTING_GROUPS.some((g) => rest === g || rest.startsWith(`${g}_`));
}

/** The tree of the variables with `prefix`: the rest of each name, lower-cased, split on `_`. */
export function envTree(env: PluginEnv, prefix: string): ConfigTree {
  const tree: ConfigTree = {};
  const names = Object.keys(env)
    .filter((name) => name.startsWith(prefix) && name.length > prefix.length && env[name] !== undefined)
    .filter((name) => prefix !== 'MICRO_' || !isNodeSetting(name))
    .sort();
  for (const name of names) {
    const path = name.slice(prefix.length).toLowerCase().split('_').filter((p) => p !== '');
    if (path.length > 0) setPath(tree, path, parseScalar(env[name] as string));
  }
  return tree;
}

/**
 * The env source (read once; env does not change under a running process).
 * @example
 * createEnvSource({ prefix: 'APP_' }) // APP_DATABASE_PORT=5432 → database.port = 5432
 */
export function createEnvSource(options: EnvSourceOptions = {}): ConfigSource {
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? 'MICRO_';
  return { name: prefix === 'MICRO_' ? 'env' : `env ${prefix}*`, read: async () => envTree(env, prefix) };
}
