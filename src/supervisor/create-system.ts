import { ActorSystem, type ActorSystemOptions } from '../actors/index.ts';
import { oneForOne } from './one-for-one.ts';
import type { StrategyOptions } from './strategy.ts';

export interface CreateActorSystemOptions extends ActorSystemOptions {
  /** Options of the default one_for_one strategy (used when `defaultStrategy` is not given). */
  strategy?: StrategyOptions;
}

/**
 * An actor system whose actors are supervised one_for_one by default (restart, at most 3 in 5 s).
 * @example
 * const system = createActorSystem({ nodeId: 'a' });
 */
export function createActorSystem(options: CreateActorSystemOptions = {}): ActorSystem {
  return new ActorSystem({ ...options, defaultStrategy: options.defaultStrategy ?? oneForOne(options.strategy) });
}
