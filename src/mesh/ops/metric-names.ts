/**
 * Every metric a node exports, in one list: name, type, help and labels. docs/metrics.md documents the same list and
 * a test fails when they disagree. Labels are low cardinality: service and endpoint names, statuses and kinds, never
 * node, call or actor ids.
 */
export const MetricKind = {
  Counter: 'counter',
  Gauge: 'gauge',
  Histogram: 'histogram',
} as const;
export type MetricKind = (typeof MetricKind)[keyof typeof MetricKind];

export interface MetricSpec {
  readonly kind: MetricKind;
  readonly help: string;
  readonly labels: readonly string[];
}

export const Metrics = {
  rpc_client_call_duration_seconds: {
    kind: 'histogram',
    help: 'Duration of outbound unary calls, retries included, by service, endpoint and status (OK or the error reason).',
    labels: ['service', 'endpoint', 'status'],
  },
  rpc_server_call_duration_seconds: {
    kind: 'histogram',
    help: 'Duration of inbound unary calls in their handler, by service, endpoint and status (OK or the error reason).',
    labels: ['service', 'endpoint', 'status'],
  },
  rpc_streams_open: {
    kind: 'gauge',
    help: 'Streams open now, by side (client or server), service and endpoint.',
    labels: ['side', 'service', 'endpoint'],
  },
  actor_remote_messages_sent_total: {
    kind: 'counter',
    help: 'Actor messages sent to actors on other nodes.',
    labels: [],
  },
  actor_remote_messages_received_total: {
    kind: 'counter',
    help: 'Actor messages received from other nodes.',
    labels: [],
  },
  actor_dead_letters_total: {
    kind: 'counter',
    help: 'Messages that reached no actor, by reason (stopped, unknown, overflow and rejected for a full mailbox, unprocessed).',
    labels: ['reason'],
  },
  actor_restarts_total: {
    kind: 'counter',
    help: 'Actors restarted by their supervisor, by supervisor (its path, with instance slots folded).',
    labels: ['supervisor'],
  },
  mesh_connections: {
    kind: 'gauge',
    help: 'Connections to other nodes open now, dialed and accepted.',
    labels: [],
  },
  registry_services: {
    kind: 'gauge',
    help: 'Services the registry lists (names, all versions).',
    labels: [],
  },
} as const satisfies Record<string, MetricSpec>;
export type MetricName = keyof typeof Metrics;
