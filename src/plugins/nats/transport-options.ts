/**
 * The NATS transport's settings, apart from its module so that they (and `transportOptions.nats`) can be typed
 * without the nats client's own types.
 */
import { type ConnectionOptions, defaultConnectionOptions } from '../../mesh/transport/connection-options.ts';

declare module '../../mesh/plugins/concerns.ts' {
  interface TransportConcernOptions {
    /** Settings of the `nats` transport. @default {} */
    nats?: NatsTransportOptions;
  }
}

export interface NatsTransportOptions extends ConnectionOptions {
  /** First token of every subject the transport uses. @default '_MM' */
  subjectPrefix?: string;
  /** A dial without its own `timeoutMs` fails with CONNECT_FAILED after this long. @default 5000 */
  connectTimeoutMs?: number;
  /** Accepted connections at once; an OPEN past it is refused. @default 4096 */
  maxConnections?: number;
  /**
   * A connection that sent and has heard nothing back for this long is probed; if the peer's process is gone, NATS
   * says so and the connection breaks (its calls fail with 503) instead of waiting for the heartbeat timeout. 0 turns
   * probes off.
   * @default 1000
   */
  probeAfterMs?: number;
  /** Answer the NATS micro-services discovery subjects (`$SRV.PING|INFO|STATS`) for the node's services. @default true */
  discovery?: boolean;
}

export function defaultNatsTransportOptions(): Required<NatsTransportOptions> {
  return { ...defaultConnectionOptions(), subjectPrefix: '_MM', connectTimeoutMs: 5000, maxConnections: 4096, probeAfterMs: 1000, discovery: true };
}

