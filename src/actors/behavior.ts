import type { Actor, ActorContext, ActorFactory, Behavior } from './types.ts';

/** A behaviour from a function that builds a fresh actor for every start and restart (state in closures). */
export function fromFactory<M>(create: (ctx: ActorContext<M>) => Actor<M>): ActorFactory<M> {
  return { kind: 'factory', create };
}

/** Normalises every accepted behaviour shape into a factory. */
export function toFactory<M>(behavior: Behavior<M>): ActorFactory<M> {
  if (typeof behavior === 'object' && behavior !== null && (behavior as ActorFactory<M>).kind === 'factory') {
    return behavior as ActorFactory<M>;
  }
  if (typeof behavior === 'function') {
    const proto = (behavior as { prototype?: { receive?: unknown } }).prototype;
    if (proto !== undefined && typeof proto.receive === 'function') {
      const ActorClass = behavior as new () => Actor<M>;
      return { kind: 'factory', create: () => new ActorClass() };
    }
    const actor: Actor<M> = { receive: behavior as Actor<M>['receive'] };
    return { kind: 'factory', create: () => actor };
  }
  throw new TypeError('a behavior is an actor class, a receive function, or a factory (fromFactory, fromMachine)');
}
