import { type AnyStateMachine, type Actor as XActor, createActor, type EventFromLogic, type InputFrom } from 'xstate';
import type { Actor, ActorContext, ActorFactory } from './types.ts';

export interface FromMachineOptions<TMachine extends AnyStateMachine, M> {
  /** Input of each fresh machine instance, built from the actor's context (to reach `self`, `reply`, …). */
  input?: (ctx: ActorContext<M>) => InputFrom<TMachine>;
  /** Called after each event with the machine's new snapshot (for replies and observation). */
  onTransition?: (snapshot: ReturnType<XActor<TMachine>['getSnapshot']>, ctx: ActorContext<M>) => void;
}

/**
 * An xstate machine as an actor's behaviour. xstate is the behaviour, never the runtime: messages arrive one
 * at a time from the actor's bounded mailbox, a machine error is an actor failure its supervisor handles, and
 * a restart builds a fresh machine instance at the same address. A machine that reaches a final state stops the actor.
 */
export function fromMachine<TMachine extends AnyStateMachine, M extends EventFromLogic<TMachine> = EventFromLogic<TMachine>>(
  machine: TMachine,
  options: FromMachineOptions<TMachine, M> = {},
): ActorFactory<M> & { readonly machine: TMachine } {
  return {
    kind: 'factory',
    machine,
    create(ctx: ActorContext<M>): Actor<M> {
      let running: XActor<TMachine> | undefined;
      let failure: { error: unknown } | undefined;
      const start = (): XActor<TMachine> => {
        const a = createActor(machine, { input: options.input?.(ctx) } as never);
        a.subscribe({
          error: (error: unknown) => {
            failure = { error };
          },
        });
        a.start();
        return a;
      };
      const check = (a: XActor<TMachine>): void => {
        if (failure !== undefined) {
          const { error } = failure;
          failure = undefined;
          throw error;
        }
        const snap = a.getSnapshot() as unknown as { status: string; error?: unknown };
        if (snap.status === 'error') throw snap.error;
        options.onTransition?.(snap as never, ctx);
        if (snap.status === 'done') ctx.stop();
      };
      return {
        preStart() {
          running = start();
          check(running);
        },
        receive(message: M) {
          const a = running ?? (running = start());
          a.send(message as never);
          check(a);
        },
        postStop() {
          running?.stop();
        },
        preRestart() {
          running?.stop();
          running = undefined;
        },
        get snapshot() {
          return running?.getSnapshot();
        },
      } as Actor<M>;
    },
  };
}
