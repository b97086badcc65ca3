import { ScopedStrategy, type StrategyOptions } from './strategy.ts';

/** Restart the failed child and every child started after it. */
export function restForOne(options?: StrategyOptions): ScopedStrategy {
  return new ScopedStrategy(
    'rest_for_one',
    (children, failed) => {
      const i = children.indexOf(failed);
      return i < 0 ? [failed] : children.slice(i);
    },
    options,
  );
}
