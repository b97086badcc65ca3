import type { Actor, ActorContext } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { InboundRequest } from './inbound.ts';

/** A handler error that is part of the contract (a MicroError below 500) answers the call and is not a failure. */
function isClientError(err: unknown): boolean {
  return err instanceof MicroError && err.code < 500;
}

/**
 * One instance of a served service: an actor that handles one request at a time. A handler that throws (other
 * than a MicroError below 500) answers the caller with the error and then fails, so its supervisor restarts it.
 */
export class ServiceInstance implements Actor<InboundRequest> {
  handled = 0;

  constructor(readonly service: string) {}

  receive(req: InboundRequest, _ctx: ActorContext<InboundRequest>): void | Promise<void> {
    if (req.answered) return;
    if (req.expired) {
      req.fail(new MicroError('TIMEOUT', `${this.service} ${req.endpoint}: deadline passed while queued`, { id: this.service }));
      return;
    }
    this.handled++;
    let result: unknown;
    try {
      result = req.endpointDef.handler(req.request, req);
    } catch (err) {
      return this.#failed(req, err);
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (value) => req.respond(value),
        (err: unknown) => this.#failed(req, err),
      );
    }
    req.respond(result);
  }

  #failed(req: InboundRequest, err: unknown): void {
    req.fail(MicroError.from(err, this.service));
    if (!isClientError(err)) throw err;
  }
}
