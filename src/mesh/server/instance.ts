import type { Actor, ActorContext, ActorRef } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { ServerCall } from './server-call.ts';

/** A handler error that is part of the contract (a MicroError below 500) answers the call and is not a failure. */
function isClientError(err: unknown): boolean {
  return err instanceof MicroError && err.code < 500;
}

/** One instance's place in its service: its current ref (it changes on restart) and the call it is running. */
export class InstanceSlot {
  ref: ActorRef<ServerCall> | undefined = undefined;
  /** The call being handled, if any, and since when (clock ms). */
  current: ServerCall | undefined = undefined;
  since = 0;
  /** Calls this instance has handled. */
  handled = 0;

  constructor(
    readonly id: string,
    readonly now: () => number,
  ) {}
}

/**
 * One instance of a served service: an actor that handles one call at a time. A handler that throws (other than a
 * MicroError below 500) answers the caller with the error and then fails, so its supervisor restarts it; the
 * failure is logged with the service, endpoint and error.
 */
export class ServiceInstance implements Actor<ServerCall> {
  constructor(
    readonly service: string,
    readonly slot: InstanceSlot,
  ) {}

  preStart(ctx: ActorContext<ServerCall>): void {
    this.slot.ref = ctx.self;
    this.slot.current = undefined;
  }

  receive(call: ServerCall, _ctx: ActorContext<ServerCall>): void | Promise<void> {
    if (call.answered) return;
    if (call.expired) {
      call.fail(new MicroError('TIMEOUT', `${this.service} ${call.endpoint}: deadline passed while queued`, { id: this.service }));
      return;
    }
    const slot = this.slot;
    slot.handled++;
    let result: unknown;
    try {
      result = call.invoke();
    } catch (err) {
      return this.#failed(call, err);
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      slot.current = call;
      slot.since = slot.now();
      return (result as Promise<unknown>).then(
        (value) => {
          slot.current = undefined;
          call.respond(value);
        },
        (err: unknown) => {
          slot.current = undefined;
          this.#failed(call, err);
        },
      );
    }
    call.respond(result);
  }

  #failed(call: ServerCall, err: unknown): void {
    call.fail(MicroError.from(err, this.service));
    if (isClientError(err)) return;
    call.log.warn({ service: this.service, endpoint: call.endpoint, err }, 'handler failed; restarting its instance');
    throw err;
  }
}
