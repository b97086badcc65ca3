/** The memory source: a tree held in this process, changed with `set`; for defaults, overrides and tests. */
import type { ConfigSource, ConfigTree, ConfigValue, SourceEvents } from './config.ts';
import { mergeTrees, setPath, splitPath } from './tree.ts';

export interface MemorySource extends ConfigSource {
  /** Sets the value at `path` (an empty path replaces the whole tree with `value`, which must be a tree). */
  set(path: string, value: ConfigValue): void;
  /** Merges `tree` into the held one. */
  merge(tree: ConfigTree): void;
}

/**
 * A memory source holding `initial` (copied).
 * @example
 * const overrides = createMemorySource({ features: { beta: false } });
 * const node = await createNode({ config: ['env', overrides] });
 * overrides.set('features.beta', true); // node.config watchers of features.beta run
 */
export function createMemorySource(initial: ConfigTree = {}, name = 'memory'): MemorySource {
  let tree: ConfigTree = structuredClone(initial);
  const listeners = new Set<SourceEvents>();
  const changed = (): void => {
    for (const l of listeners) l.changed();
  };
  return {
    name,
    read: async () => structuredClone(tree),
    watch(events) {
      listeners.add(events);
      return { stop: () => void listeners.delete(events) };
    },
    set(path, value) {
      const parts = splitPath(path);
      if (parts.length === 0) tree = structuredClone(value as ConfigTree);
      else setPath(tree, parts, structuredClone(value));
      changed();
    },
    merge(more) {
      tree = mergeTrees(tree, structuredClone(more));
      changed();
    },
  };
}
