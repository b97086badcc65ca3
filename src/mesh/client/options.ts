import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';
import type { Selector, SelectorStrategy } from '../selector/selector.ts';

export interface CallOptions {
  /** Overall deadline of the call (or stream), retries included; the server sees it too. @default the client's */
  timeoutMs?: number;
  metadata?: Metadata;
  /** @default the client's selector */
  selector?: SelectorStrategy | Selector;
  /** What the `hash` selector hashes. */
  key?: string;
  /** Only nodes of this version. */
  version?: string;
  /** @default 'application/json' */
  contentType?: string;
  /** Protobuf message types for application/protobuf. */
  requestType?: string;
  responseType?: string;
  /** Aborting cancels the call (the server's handler is aborted too). */
  signal?: AbortSignal;
  /** Tries on other nodes after a failure that is safe to retry. @default the client's */
  retries?: number;
  /** The caller vouches that the endpoint may run twice; otherwise the service's registration says. */
  idempotent?: boolean;
  /** Credits per stream direction (streams only). @default 32 */
  streamWindow?: number;
}

export interface ClientOptions {
  /** Deadline of calls and streams that set none. @default 10000 */
  timeoutMs?: number;
  /** @default 'random' */
  selector?: SelectorStrategy | Selector;
  /** @default 2 */
  retries?: number;
}

/**
 * Live resilience settings of a client (`client.configure`): defaults of every call, and overrides per service. A
 * call's own options still win over both.
 */
export interface ClientSettings extends ClientOptions {
  /** Settings of calls to one service, by service name: `{ greeter: { timeoutMs: 500, retries: 0 } }`. @default {} */
  services?: Readonly<Record<string, ClientOptions>>;
}

export function defaultClientOptions(): Required<ClientOptions> {
  return { timeoutMs: 10_000, selector: 'random', retries: 2 };
}

/** A deadline a call may have: a positive finite number of ms; anything else is a 400 before anything is sent. */
export function checkTimeout(timeoutMs: number): MicroError | undefined {
  if (typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0) return undefined;
  return new MicroError('BAD_REQUEST', `timeoutMs must be a positive finite number of milliseconds, not ${String(timeoutMs)}`);
}

/** Failures after which the request surely did not run, so another node may take it. */
export function notRun(e: MicroError): boolean {
  return e.reason === 'CONNECT_FAILED' || e.reason === 'DRAINING' || e.reason === 'CIRCUIT_OPEN' || e.reason === 'OVERLOADED';
}
