/** Rule sources besides a plain list: a record of the node's store, and a function with a change signal. */
import { type Clock, systemClock } from '../../actors/clock.ts';
import { readJson, type Store } from '../store/store.ts';
import { MicroError } from '../errors.ts';
import type { Rule, RuleSource } from './auth.ts';

/** How {@link rulesFromStore} follows a record. */
export interface StoreRulesOptions {
  /** Reads the record again this often and applies it when it changed; 0 reads it only when loaded. @default 0 */
  everyMs?: number;
  /** The clock the re-reads run on (pass the node's). @default systemClock */
  clock?: Clock;
}

/**
 * Rules kept as JSON in a store record (a missing record is no rules). With `everyMs`, the record is read again on
 * that period and a changed list replaces the rules.
 * @example
 * await node.store.write({ key: 'auth/rules', value: jsonBytes(rules) });
 * await node.auth.useRules(rulesFromStore(node.store, 'auth/rules', { everyMs: 5000 }));
 */
export function rulesFromStore(store: Store, key: string, options: StoreRulesOptions = {}): RuleSource {
  const load = async (): Promise<Rule[]> => {
    try {
      return readJson<Rule[]>(await store.read(key));
    } catch (err) {
      if (err instanceof MicroError && err.reason === 'NOT_FOUND') return [];
      throw err;
    }
  };
  const everyMs = options.everyMs ?? 0;
  if (everyMs <= 0) return { load };
  const clock = options.clock ?? systemClock;
  return {
    load,
    watch(onChange) {
      let last: string | undefined;
      let timer: unknown;
      let stopped = false;
      const tick = (): void => {
        load()
          .then((rules) => {
            const text = JSON.stringify(rules);
            if (last !== undefined && text !== last && !stopped) onChange(rules);
            last = text;
          })
          .catch(() => {})
          .finally(() => {
            if (!stopped) timer = clock.setTimeout(tick, everyMs);
          });
      };
      tick();
      return () => {
        stopped = true;
        clock.clearTimeout(timer);
      };
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
