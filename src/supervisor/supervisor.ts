import {
  type Actor,
  type ActorContext,
  type ActorFactory,
  type AnyRef,
  type Ask,
  type ChildInfo,
  type Failure,
  type StopReason,
  type SupervisionControl,
  type SupervisorStrategy,
  whenStarted,
} from '../actors/index.ts';
import { type ChildSpec, spawnOptionsOf } from './child-spec.ts';
import { createLifecycle, type Lifecycle, type LifecycleState } from './lifecycle.ts';
import { oneForAll } from './one-for-all.ts';
import { oneForOne } from './one-for-one.ts';
import { restForOne } from './rest-for-one.ts';
import type { StrategyOptions } from './strategy.ts';

export interface SupervisorInfo {
  state: LifecycleState;
  history: LifecycleState[];
  children: Array<{ id: string; address: string; restart: string; restarts: number }>;
}

export type SupervisorMessage =
  | ({ type: 'inspect' } & Ask<SupervisorInfo>)
  | ({ type: 'start-child'; spec: ChildSpec } & Ask<AnyRef>)
  | ({ type: 'stop-child'; id: string } & Ask<boolean>)
  /** Restarts one child now (fresh state, same mailbox): after its shutdown time a handler still running is abandoned. */
  | ({ type: 'restart-child'; id: string } & Ask<boolean>);

export interface SupervisorOptions extends StrategyOptions {
  /** @default 'one_for_one' */
  strategy?: 'one_for_one' | 'one_for_all' | 'rest_for_one' | SupervisorStrategy;
  /** Started in order (each after the previous finished starting), stopped in reverse order. */
  children: ChildSpec[];
}

function strategyOf(options: SupervisorOptions): SupervisorStrategy {
  const s = options.strategy ?? 'one_for_one';
  if (typeof s !== 'string') return s;
  if (s === 'one_for_all') return oneForAll(options);
  if (s === 'rest_for_one') return restForOne(options);
  return oneForOne(options);
}

/** Wraps a strategy so the supervisor's lifecycle shows restarts as they happen. */
function observed(inner: SupervisorStrategy, lifecycle: Lifecycle): SupervisorStrategy {
  let pending = 0;
  const done = (): void => {
    pending--;
    if (pending === 0) lifecycle.send({ type: 'RESTARTED' });
  };
  const wrappers = new WeakMap<SupervisionControl, SupervisionControl>();
  const wrap = (control: SupervisionControl): SupervisionControl => {
    let w = wrappers.get(control);
    if (w === undefined) {
      w = delegate(control);
      wrappers.set(control, w);
    }
    return w;
  };
  const delegate = (control: SupervisionControl): SupervisionControl => ({
    self: control.self,
    log: control.log,
    now: () => control.now(),
    children: () => control.children(),
    resume: (child) => control.resume(child),
    stop: (child) => control.stop(child),
    respawn: (child) => control.respawn(child),
    escalate: (failure) => control.escalate(failure),
    restart(children: readonly ChildInfo[], options?: { delayMs?: number; reason?: unknown }) {
      pending++;
      lifecycle.send({ type: 'RESTARTING' });
      const p = control.restart(children, options);
      if (p === undefined) done();
      else p.then(done, done);
      return p;
    },
  });
  return {
    handleFailure: (control: SupervisionControl, child: ChildInfo, failure: Failure) => inner.handleFailure(wrap(control), child, failure),
    handleStopped: (control: SupervisionControl, child: ChildInfo, reason: StopReason) => inner.handleStopped?.(wrap(control), child, reason),
  };
}

class Supervisor implements Actor<SupervisorMessage> {
  readonly lifecycle = createLifecycle();
  readonly supervisorStrategy: SupervisorStrategy;
  /** Every supervisor message is a control message: one from another node is refused, never obeyed. */
  readonly localOnly = true;

  constructor(readonly options: SupervisorOptions) {
    this.supervisorStrategy = observed(strategyOf(options), this.lifecycle);
  }

  async preStart(ctx: ActorContext<SupervisorMessage>): Promise<void> {
    for (const spec of this.options.children) {
      const ref = ctx.spawn(spec.start, spawnOptionsOf(spec as ChildSpec));
      await whenStarted(ref);
    }
    this.lifecycle.send({ type: 'STARTED' });
  }

  receive(message: SupervisorMessage, ctx: ActorContext<SupervisorMessage>): void {
    switch (message.type) {
      case 'inspect':
        return ctx.reply(this.#info(ctx));
      case 'start-child':
        return ctx.reply(ctx.spawn(message.spec.start, spawnOptionsOf(message.spec)));
      case 'restart-child': {
        const control = (ctx as unknown as { control: SupervisionControl }).control;
        const child = control.children().find((c) => c.name === message.id);
        if (child !== undefined) void control.restart([child], { reason: new Error(`restart of ${message.id} requested`) });
        return ctx.reply(child !== undefined);
      }
      case 'stop-child': {
        const child = ctx.children().find((c) => c.path.endsWith(`/${message.id}`));
        if (child !== undefined) ctx.stop(child);
        return ctx.reply(child !== undefined);
      }
    }
  }

  preStop(): void {
    this.lifecycle.send({ type: 'STOPPING' });
  }

  postStop(): void {
    this.lifecycle.send({ type: 'STOPPED' });
  }

  #info(ctx: ActorContext<SupervisorMessage>): SupervisorInfo {
    const control = (ctx as unknown as { control: SupervisionControl }).control;
    return {
      state: this.lifecycle.state,
      history: [...this.lifecycle.history],
      children: control.children().map((c) => ({ id: c.name, address: c.ref.address, restart: c.restart, restarts: c.restarts })),
    };
  }
}

/**
 * A supervisor behaviour: starts `children` in order, supervises them with the chosen strategy and
 * restart intensity, stops them in reverse order with each one's shutdown time.
 * @example
 * const sup = system.spawn(createSupervisor({ strategy: 'one_for_all', children: [
 *   { id: 'db', start: Db }, { id: 'api', start: Api, restart: 'transient' },
 * ] }), { name: 'app' });
 */
export function createSupervisor(options: SupervisorOptions): ActorFactory<SupervisorMessage> {
  return { kind: 'factory', create: () => new Supervisor(options) };
}
