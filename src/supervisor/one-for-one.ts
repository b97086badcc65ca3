import { ScopedStrategy, type StrategyOptions } from './strategy.ts';

/** Restart only the child that failed. */
export function oneForOne(options?: StrategyOptions): ScopedStrategy {
  return new ScopedStrategy('one_for_one', (_children, failed) => [failed], options);
}
