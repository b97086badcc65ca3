/**
 * How a key-value back end (NATS KV, etcd) holds config: under a prefix, each key below it is a path and its value a
 * scalar (`<prefix>.database.port` = `5432` is `database.port`), and the key that is the prefix itself may hold a
 * whole YAML or JSON document, merged under the single keys.
 */
import type { ConfigTree } from './config.ts';
import { parseDocument } from './parse.ts';
import { mergeTrees, parseScalar, setPath } from './tree.ts';

export interface KvLayout {
  /** The prefix, without a trailing separator; '' takes every key. */
  readonly prefix: string;
  /** Between the prefix and each path part: `.` in NATS KV, `/` in etcd. */
  readonly separator: string;
  /** Names the back end in parse errors: `nats kv micro_config`. */
  readonly where: string;
}

/** The config path of `key`, or undefined when it is not under the prefix (or is the prefix itself). */
export function pathOfKey(key: string, layout: KvLayout): string[] | undefined {
  const head = layout.prefix === '' ? '' : layout.prefix + layout.separator;
  if (!key.startsWith(head) || key.length === head.length) return undefined;
  const parts = key.slice(head.length).split(layout.separator).filter((p) => p !== '');
  return parts.length === 0 ? undefined : parts;
}

/** The tree of `entries` (key, text). A document under the prefix key that does not parse is CONFIG_INVALID naming it. */
export async function kvTree(entries: Iterable<readonly [string, string]>, layout: KvLayout): Promise<ConfigTree> {
  let document: ConfigTree = {};
  const single: ConfigTree = {};
  for (const [key, text] of entries) {
    if (layout.prefix !== '' && key === layout.prefix) {
      document = await parseDocument(text, 'yaml', `${layout.where} key ${key}`);
      continue;
    }
    const path = pathOfKey(key, layout);
    if (path !== undefined) setPath(single, path, parseScalar(text));
  }
  return mergeTrees(document, single);
}
