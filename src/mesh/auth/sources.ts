/** Rule sources besides a plain list: a record of the node's store, and a function with a change signal. */
import { readJson, type Store } from '../store/store.ts';
import { MicroError } from '../errors.ts';
import type { Rule, RuleSource } from './auth.ts';

/**
 * Rules kept as JSON in a store record. `load` reads it (a missing record is no rules); call `node.auth.useRules`
 * again after writing a new list.
 * @example
 * await node.store.write({ key: 'auth/rules', value: jsonBytes(rules) });
 * await node.auth.useRules(rulesFromStore(node.store, 'auth/rules'));
 */
export function rulesFromStore(store: Store, key: string): RuleSource {
  return {
    async load() {
      try {
        return readJson<Rule[]>(await store.read(key));
      } catch (err) {
        if (err instanceof MicroError && err.reason === 'NOT_FOUND') return [];
        throw err;
      }
    },
  };
}

/**
 * A source from a getter and a watcher, e.g. the node's config:
 * `watchedRules(() => node.config.get('auth.rules', []), (fn) => node.config.watch('auth.rules', fn))`.
 */
export function watchedRules(get: () => readonly Rule[] | Promise<readonly Rule[]>, watch?: (onChange: (rules: readonly Rule[]) => void) => () => void): RuleSource {
  return watch === undefined ? { load: get } : { load: get, watch };
}
