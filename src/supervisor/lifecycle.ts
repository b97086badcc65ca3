import { createActor, createMachine } from 'xstate';

/**
 * The lifecycle of a supervisor as an xstate machine, so tools can inspect where a supervisor is
 * (`snapshot.value`) and what it went through.
 */
const supervisorLifecycle = createMachine({
  id: 'supervisor',
  initial: 'starting',
  states: {
    starting: { on: { STARTED: 'running', RESTARTING: 'restarting', STOPPING: 'stopping' } },
    running: { on: { RESTARTING: 'restarting', STOPPING: 'stopping' } },
    restarting: { on: { RESTARTED: 'running', RESTARTING: 'restarting', STOPPING: 'stopping' } },
    stopping: { on: { STOPPED: 'stopped' } },
    stopped: { type: 'final' },
  },
});

export type LifecycleState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';
export type LifecycleEvent = { type: 'STARTED' | 'RESTARTING' | 'RESTARTED' | 'STOPPING' | 'STOPPED' };

/** A running lifecycle: send events, read the state and what it went through. */
export interface Lifecycle {
  send(event: LifecycleEvent): void;
  readonly state: LifecycleState;
  readonly history: LifecycleState[];
}

export function createLifecycle(): Lifecycle {
  const actor = createActor(supervisorLifecycle).start();
  const history: LifecycleState[] = ['starting'];
  actor.subscribe((snap) => {
    const value = snap.value as LifecycleState;
    if (history[history.length - 1] !== value) history.push(value);
  });
  return {
    send: (event: LifecycleEvent) => {
      actor.send(event);
    },
    get state(): LifecycleState {
      return actor.getSnapshot().value as LifecycleState;
    },
    history,
  };
}
