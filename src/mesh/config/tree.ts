/** Plain-tree helpers of the config: paths, deep merge, deep equality, `${VAR}` expansion. */
import type { ConfigTree, ConfigValue } from './config.ts';

/** Keys that would reach an object's prototype: dropped wherever a tree is built, so no source can pollute it. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
export const isSafeKey = (key: string): boolean => !UNSAFE_KEYS.has(key);

export const isTree = (v: unknown): v is ConfigTree => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `'a.b.c'` → `['a', 'b', 'c']`; an empty path is the root. */
export const splitPath = (path: string): string[] => (path === '' ? [] : path.split('.'));

/** The value at `path`, or undefined. */
export function getPath(tree: ConfigTree, path: string): ConfigValue | undefined {
  let node: ConfigValue | undefined = tree;
  for (const key of splitPath(path)) {
    if (!isTree(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

/** Sets `value` at `path`, making the objects on the way (a scalar on the way is replaced); unsafe keys are dropped. */
export function setPath(tree: ConfigTree, path: string[], value: ConfigValue): void {
  if (!path.every(isSafeKey)) return;
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

/**
 * Deep merge, `over` winning key by key; objects merge, anything else (arrays too) replaces; unsafe keys are dropped.
 * Inputs are not changed.
 */
export function mergeTrees(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (!isSafeKey(key)) continue;
    const prev = out[key];
    out[key] = isTree(prev) && isTree(value) ? mergeTrees(prev, value) : value;
  }
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in every string of the tree, from `env` (unset or empty uses the default, else ''). */
export function expandTree(value: ConfigValue, env: Readonly<Record<string, string | undefined>>): ConfigValue {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      return v === undefined || v === '' ? (fallback ?? '') : v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => expandTree(v, env));
  if (isTree(value)) {
    const out: ConfigTree = {};
    for (const [k, v] of Object.entries(value)) if (isSafeKey(k)) out[k] = expandTree(v, env);
    return out;
  }
  return value;
}

/** A text value as env, flags and KV keys give it: `true`/`false`, numbers, JSON objects and arrays, else the text. */
export function parseScalar(text: string): ConfigValue {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n) && (Number.isSafeInteger(n) || !Number.isInteger(n))) return n;
  }
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return JSON.parse(t) as ConfigValue;
    } catch {
      return text;
    }
  }
  return text;
}
