import { ScopedStrategy, type StrategyOptions } from './strategy.ts';

/** Restart every child when one fails: all are torn down in reverse start order, then started in order. */
export function oneForAll(options?: StrategyOptions): ScopedStrategy {
  return new ScopedStrategy('one_for_all', (children) => children, options);
}
