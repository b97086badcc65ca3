// The public API of micromesh. Everything a user imports comes from here, by explicit name.

// Actors
export {
  ActorSystem,
  defaultActorSystemOptions,
  fromFactory,
  formatAddress,
  parseAddress,
  Terminated,
  OverflowPolicy,
  RestartType,
  Directive,
  DeadLetterReason,
  ActorError,
  ActorErrorCodes,
  ActorFailedError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidActorNameError,
  MailboxFullError,
  silentLogger,
  createRecordingLogger,
  createSimulatedClock,
  systemClock,
} from './actors/index.ts';
export type {
  Actor,
  ActorContext,
  Clock,
  SimulatedClock,
  ActorFactory,
  ActorRef,
  ActorSystemOptions,
  ActorSystemStats,
  AnyRef,
  Ask,
  AskOptions,
  Behavior,
  ChildInfo,
  Failure,
  Logger,
  MailboxOptions,
  ReplyOf,
  ReplyTo,
  SendResult,
  SerializedRef,
  Signal,
  SpawnOptions,
  StopReason,
  SupervisionControl,
  SupervisorStrategy,
  SystemEvent,
  TellOptions,
  Timers,
  Reminder,
  ReminderSpec,
  Reminders,
} from './actors/index.ts';

// Supervision
export {
  createActorSystem,
  createSupervisor,
  oneForOne,
  oneForAll,
  restForOne,
  backoffDelay,
} from './supervisor/index.ts';
export type {
  BackoffOptions,
  ChildSpec,
  CreateActorSystemOptions,
  Decider,
  LifecycleState,
  StrategyOptions,
  SupervisorInfo,
  SupervisorMessage,
  SupervisorOptions,
} from './supervisor/index.ts';

// Mesh
export { NODE_SERVICE } from './mesh/node.ts';
export { createNode, withEnginePlugins } from './plugins/node.ts';
export { enginePlugins, natsPlugin, postgresPlugin, redisPlugin, DEFAULT_NATS_URL, DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL } from './plugins/index.ts';
export { etcdPlugin, DEFAULT_ETCD_URL } from './plugins/index.ts';
export type { EtcdConfigOptions } from './plugins/etcd/config.ts';
export type { PostgresStoreOptions } from './plugins/postgres/store.ts';
export type { PostgresSyncOptions } from './plugins/postgres/sync.ts';
export type { PostgresConnectionOptions } from './plugins/postgres/connection.ts';
export type { RedisConnectionOptions, RedisStoreOptions, RedisSyncOptions } from './plugins/redis/options.ts';
export type { NatsConfigOptions, NatsConnectionOptions, NatsStoreOptions, NatsSyncOptions } from './plugins/nats/options.ts';
export type { NatsTransportOptions } from './plugins/nats/transport-options.ts';
export { createMultiTransport } from './mesh/transport/multi.ts';
export type { TransportChoice } from './mesh/plugins/transports.ts';
export type { RedisEventsOptions } from './plugins/redis/events-options.ts';
export type { JetStreamEventsOptions } from './plugins/nats/events-options.ts';
export type { MeshNode } from './mesh/node.ts';
export { defaultNodeOptions } from './mesh/node-options.ts';
export type { NodeOptions } from './mesh/node-options.ts';
export { defineService } from './mesh/service.ts';
export type { CallContext, Service, ServiceDefinition, ServerStream, StreamEndpoint, UnaryEndpoint, UnaryHandler, StreamHandler } from './mesh/service.ts';
export { MeshClient } from './mesh/client/client.ts';
export { defaultClientOptions } from './mesh/client/options.ts';
export type { CallOptions, ClientOptions, ClientSettings } from './mesh/client/options.ts';
export { ClientStream } from './mesh/client/client-stream.ts';
export { defaultServeOptions } from './mesh/server/serve-options.ts';
export type { ServeOptions, StuckPolicy } from './mesh/server/serve-options.ts';
export { compose } from './mesh/middleware/middleware.ts';
export type {
  Attempt,
  HookName,
  InboundDelivery,
  InboundMessage,
  Middleware,
  MiddlewareHooks,
  OutboundCall,
  OutboundMessage,
  OutboundPublish,
} from './mesh/middleware/middleware.ts';
export { defaultPeerLimits } from './mesh/peers/limits.ts';
export type { PeerLimits } from './mesh/peers/limits.ts';
export type { NodeComponent } from './mesh/node-tree.ts';
export { MicroError, ErrorReasons, StatusCodes, isMicroError } from './mesh/errors.ts';
export type { ErrorReason, MicroErrorJSON } from './mesh/errors.ts';
export { MetadataKey } from './mesh/metadata.ts';
export type { Metadata } from './mesh/metadata.ts';

// API gateway
export { createApiGateway } from './mesh/api/gateway.ts';
export type { ApiGateway } from './mesh/api/gateway.ts';
export { defaultApiGatewayOptions } from './mesh/api/options.ts';
export type { ApiGatewayOptions, CorsOptions } from './mesh/api/options.ts';

// Operations
export { tracingMiddleware } from './mesh/ops/tracing.ts';
export type { TracingOptions } from './mesh/ops/tracing.ts';
export { metricsMiddleware } from './mesh/ops/metrics.ts';
export { Metrics } from './mesh/ops/metric-names.ts';
export type { MetricName, MetricSpec } from './mesh/ops/metric-names.ts';
export type { NodeOps, OpsOptions } from './mesh/ops/node-ops.ts';
export type { CheckResult, HealthCheckFn, HealthCheckOptions, HealthChecks, Readiness } from './mesh/ops/health.ts';
export { createNodeLogger, requestLogMiddleware } from './mesh/ops/logger.ts';
export type { NodeLoggerOptions } from './mesh/ops/logger.ts';
export { inspectNode, nodeHealth } from './mesh/ops/node-service.ts';
export type { ActorSnapshot, CallCount, HealthReport, NodeReport, ServiceReport } from './mesh/ops/node-report.ts';
export type { MessagingMetrics } from './mesh/ops/messaging-metrics.ts';

// Pluggable parts and their embedded implementations
export { createMemoryRegistry } from './mesh/registry/memory.ts';
export { createMdnsRegistry } from './mesh/registry/mdns.ts';
export type { MdnsRegistryOptions, MdnsRegistryStats } from './mesh/registry/mdns.ts';
export { defaultRecordLimits } from './mesh/registry/admission.ts';
export type { AdmitCandidate, AdmitProbe, RecordLimits } from './mesh/registry/admission.ts';
export { definePlugin } from './mesh/plugins/plugin.ts';
export type { Plugin, PluginContext, PluginFactory, ConcernFactory } from './mesh/plugins/plugin.ts';
export { createPluginTable } from './mesh/plugins/table.ts';
export type { PluginTable, PluginChoice, Resolved } from './mesh/plugins/table.ts';
export { Concern } from './mesh/plugins/concerns.ts';
export type { PluginConcerns, ConcernOptions, StoreConcernOptions, SyncConcernOptions } from './mesh/plugins/concerns.ts';
export type { PluginTarget } from './mesh/plugins/target.ts';
export { importOptional } from './mesh/plugins/import-optional.ts';
export type { SharedLease } from './mesh/plugins/resources.ts';
export type { Registry, Service as RegisteredService, RegistryNode, Endpoint, Value, WatchEvent, Watcher } from './mesh/registry/registry.ts';
export { DEFAULT_STORE_SCOPE, jsonBytes, readJson, readText, toBytes } from './mesh/store/store.ts';
export type { Store, StoreCallOptions, StoreQuery, StoreRecord, StoreScope, StoreWrite, StoreWriteOptions } from './mesh/store/store.ts';
export { createStore, defaultCreateStoreOptions } from './mesh/store/scoped.ts';
export type { CreateStoreOptions } from './mesh/store/scoped.ts';
export type { BackendQuery, BackendWrite, StoreBackend } from './mesh/store/backend.ts';
export { createMemoryStore } from './mesh/store/memory.ts';
export type { MemoryStoreOptions } from './mesh/store/memory.ts';
export { createFileStore, defaultFileStoreOptions } from './mesh/store/file.ts';
export type { FileStoreOptions } from './mesh/store/file.ts';
export type { ElectOptions, Leadership, Lease, LockOptions, Sync } from './mesh/sync/sync.ts';
export type { SyncBackend } from './mesh/sync/backend.ts';
export { createSync, defaultCreateSyncOptions, ELECTION_PREFIX } from './mesh/sync/locks.ts';
export type { CreateSyncOptions } from './mesh/sync/locks.ts';
export { createMemorySync, MemorySyncBackend } from './mesh/sync/memory.ts';
export type { MemorySyncOptions } from './mesh/sync/memory.ts';
export type { Config, ConfigEvent, ConfigSource, ConfigTree, ConfigValue, SourceEvents, SourceWatch } from './mesh/config/config.ts';
export { createConfig } from './mesh/config/mesh-config.ts';
export type { CreateConfigOptions } from './mesh/config/mesh-config.ts';
export { createEnvSource, isNodeSetting, NODE_SETTING_GROUPS } from './mesh/config/env-source.ts';
export type { EnvSourceOptions } from './mesh/config/env-source.ts';
export { createFileSource } from './mesh/config/file-source.ts';
export type { FileSourceOptions } from './mesh/config/file-source.ts';
export { createFlagsSource } from './mesh/config/flags-source.ts';
export type { FlagsSourceOptions } from './mesh/config/flags-source.ts';
export { createMemorySource } from './mesh/config/memory-source.ts';
export type { MemorySource } from './mesh/config/memory-source.ts';
export type { ConfigConcernOptions } from './mesh/config/factories.ts';
export type { ConfigSourceChoice } from './mesh/config/open.ts';
export { CLIENT_CONFIG_KEY, clientSettingsOf } from './mesh/config/client-settings.ts';
export type { StandardSchemaV1 } from './mesh/config/schema.ts';
export type {
  ConsumeOptions,
  EventConsumer,
  EventDelivery,
  EventHandler,
  Events,
  EventSource,
  EventsBackend,
  GroupSettings,
  OutgoingEvent,
  PublishEventOptions,
  StartFrom,
  StoredDelivery,
} from './mesh/events/events.ts';
export { createEvents, defaultConsumeOptions } from './mesh/events/create-events.ts';
export type { CreateEventsOptions } from './mesh/events/create-events.ts';
export { createMemoryEvents } from './mesh/events/memory.ts';
export type { MemoryEventsOptions } from './mesh/events/memory.ts';
export { createFileEvents, defaultFileEventsOptions } from './mesh/events/file.ts';
export type { FileEventsOptions } from './mesh/events/file.ts';
export type { FsyncPolicy } from './mesh/events/frame-log.ts';
export type { EventsConcernOptions } from './mesh/events/factories.ts';
export { DeadLetterKey } from './mesh/events/dead-letter.ts';
export { createSelector } from './mesh/selector/selector.ts';
export type { Selector, SelectorStrategy } from './mesh/selector/selector.ts';
export { createNodeHealth } from './mesh/selector/node-health.ts';
export { createTcpTransport } from './mesh/transport/tcp.ts';
export { createMemoryTransport, createMemoryNetwork } from './mesh/transport/memory.ts';
export { FrameType } from './mesh/transport/transport.ts';
export type { Transport, Connection, Frame, Listener, PeerCertificate } from './mesh/transport/transport.ts';
export type { TcpTransportOptions } from './mesh/transport/tcp.ts';
export type { TcpTlsOptions } from './mesh/transport/tls.ts';

// Auth
export type { Account, Auth, HelloIdentity, IssueOptions, Resource, ResourcePattern, Rule, RuleSource, VerifiedToken } from './mesh/auth/auth.ts';
export { createJwtAuth, defaultJwtAuthOptions } from './mesh/auth/jwt-auth.ts';
export type { JwtAuthOptions } from './mesh/auth/jwt-auth.ts';
export type { AuthConcernOptions } from './mesh/auth/concern.ts';
export { generateAuthKeys } from './mesh/auth/keys.ts';
export type { AuthKeyPair, KeyInput } from './mesh/auth/keys.ts';
export { AUTHORIZATION, bearerToken, createAuthMiddleware } from './mesh/auth/middleware.ts';
export { rulesFromStore, watchedRules } from './mesh/auth/sources.ts';
export { createCodecs, ContentType } from './mesh/codec/codecs.ts';
export type { Codec } from './mesh/codec/codec.ts';
export type { Codecs, CodecsOptions } from './mesh/codec/codecs.ts';
export { DEFAULT_DEAD_LETTER_TOPIC } from './mesh/broker/api.ts';
export type { DeadLetter, Delivery, MessageHandler, PublishOptions, ServiceSubscription, SubscribeOptions, Subscription } from './mesh/broker/api.ts';
export type { Broker, BrokerHost, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from './mesh/broker/broker.ts';
export type { BrokerConcernOptions } from './mesh/broker/factories.ts';
export { createMemoryBroker, MemoryBrokerHub } from './mesh/broker/memory.ts';
export type { MemoryBrokerOptions } from './mesh/broker/memory.ts';
export { createMeshNativeBroker } from './mesh/broker/mesh-native.ts';
export { checkPattern, checkTopic, topicMatcher } from './mesh/broker/topic.ts';
export type { NatsBrokerOptions } from './plugins/nats/options.ts';
export type { RedisBrokerOptions } from './plugins/redis/options.ts';
