/**
 * What micromesh's rows in the rpc suite share: the `echo` service (`Echo.Call` returns its
 * request), and the no-op middleware of the `echo-mw` case, whose `call`, `attempt` and `handler`
 * hooks only call `next`, so that case measures what installing middleware costs by itself.
 */
import { defineService, type Middleware } from '../../src/index.ts';

export const ECHO_SERVICE = 'echo';
export const ECHO_ENDPOINT = 'Echo.Call' as const;

export const echoService = defineService({ name: ECHO_SERVICE, endpoints: { 'Echo.Call': (req: unknown) => req } });

export const noopMiddleware: Middleware = {
  name: 'bench-noop',
  call: (next) => (call) => next(call),
  attempt: (next) => (attempt) => next(attempt),
  handler: (next) => (request, ctx) => next(request, ctx),
};
