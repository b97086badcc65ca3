/**
 * Every metric a node exports, in one list: name, type, help and labels. docs/metrics.md documents the same list and
 * a test fails when they disagree. Labels are low cardinality: service and endpoint names, statuses and kinds, never
 * node, call or actor ids; actor kinds and topics are also capped (labels.ts).
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
    help: 'Messages that reached no actor, by the kind of their recipient (its path with instance segments folded to *) and reason (stopped, unknown, overflow and rejected for a full mailbox, unprocessed).',
    labels: ['kind', 'reason'],
  },
  actor_mailbox_depth: {
    kind: 'gauge',
    help: 'Messages waiting in mailboxes now, summed by actor kind (its path with instance segments folded to *).',
    labels: ['kind'],
  },
  actor_restarts_total: {
    kind: 'counter',
    help: 'Actors restarted by their supervisor, by supervisor (its path, with instance slots folded).',
    labels: ['supervisor'],
  },
  mesh_connections: {
    kind: 'gauge',
    help: 'Connections to other nodes open now, by direction (dialed or accepted).',
    labels: ['direction'],
  },
  mesh_peers: {
    kind: 'gauge',
    help: 'Other nodes connected now; mesh_connections / mesh_peers is the connections per peer.',
    labels: [],
  },
  registry_services: {
    kind: 'gauge',
    help: 'Services the registry lists (names, all versions).',
    labels: [],
  },
  registry_nodes: {
    kind: 'gauge',
    help: 'Nodes the registry lists (distinct node ids across all services).',
    labels: [],
  },
  messaging_published_total: {
    kind: 'counter',
    help: 'Messages published, by topic and status (OK or the error reason).',
    labels: ['topic', 'status'],
  },
  messaging_consumed_total: {
    kind: 'counter',
    help: 'Messages handed to subscribers, by topic and status (OK, or the error reason of a handler that failed).',
    labels: ['topic', 'status'],
  },
  messaging_redeliveries_total: {
    kind: 'counter',
    help: 'Messages delivered again after a failed or unacknowledged delivery, by topic.',
    labels: ['topic'],
  },
  messaging_dead_letters_total: {
    kind: 'counter',
    help: 'Messages given up on after their last delivery failed (moved to a dead-letter topic or dropped), by topic.',
    labels: ['topic'],
  },
} as const satisfies Record<string, MetricSpec>;
export type MetricName = keyof typeof Metrics;
