import type { ActorRef, ActorSystem, Logger } from '../actors/index.ts';
import type { Clock } from '../actors/clock.ts';
import { kernelOf } from '../actors/internal.ts';
import { createActorSystem, type CreateActorSystemOptions, createSupervisor, oneForOne, type SupervisorMessage } from '../supervisor/index.ts';
import type { Rule } from './auth/auth.ts';
import { createAuthMiddleware } from './auth/middleware.ts';
import { watchedRules } from './auth/sources.ts';
import { createBrokerHost } from './broker/host.ts';
import { PubSub } from './broker/pubsub.ts';
import { MeshClient } from './client/client.ts';
import { NODE_SERVICE, ServiceResolver } from './client/resolver.ts';
import { type Codecs, type CodecsOptions, createCodecs } from './codec/codecs.ts';
import type { Middleware } from './middleware/middleware.ts';
import type { NodeOptions, NodePlugins, ResolvedNodeOptions } from './node-options.ts';
import { createConfigPart, type NodeConfigPart } from './config/component.ts';
import type { AdmitProbe } from './registry/admission.ts';
import type { NodeComponent } from './node-tree.ts';
import { type NodeOps, type OpsSettings, planOps } from './ops/node-ops.ts';
import { MicroError } from './errors.ts';
import { FrameRouter } from './peers/frame-router.ts';
import { PeerDirectory } from './peers/directory.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import type { Service as RegisteredService } from './registry/registry.ts';
import { NodeReminders } from './reminders/reminders.ts';
import { RemoteActors } from './remote/remote-actors.ts';
import { createNodeHealth } from './selector/node-health.ts';
import { MeshServer } from './server/server.ts';
import type { Service } from './service.ts';
import { ADDRESSES_KEY } from './transport/addresses.ts';
import type { Listener } from './transport/transport.ts';
import { createEvents } from './events/create-events.ts';
import type { Events } from './events/events.ts';

/**
 * How a node supervises what the network can make fail (its services, its top-level actors): restart with backoff,
 * never give up and never escalate, so one failing part never takes the node down.
 */
export const RESILIENT = { maxRestarts: 1_000_000, withinMs: 1000, backoff: { minMs: 100, maxMs: 5000 } } as const;

/** What a node is made of, before it starts. */
export interface NodeParts {
  readonly router: FrameRouter;
  readonly directory: PeerDirectory;
  readonly resolver: ServiceResolver;
  readonly server: MeshServer;
  readonly client: MeshClient;
  readonly remote: RemoteActors;
  readonly registrations: RegisteredService[];
  readonly plugins: NodePlugins;
  /** `node.events`: the events back end with codecs, middleware and consumer actors on top. */
  readonly events: Events;
  /** The probe of registry records from the network: the address must answer as that node, and a node that still answers at its known address is not displaced. */
  readonly admit: AdmitProbe;
  /** Components in start order. */
  readonly components: NodeComponent[];
  /** Health checks, metrics and the operations port. */
  readonly ops: NodeOps;
  /** The config component and `node.config`. */
  readonly config: NodeConfigPart;
  /** `node.publish` and `node.subscribe`, over the node's broker. */
  readonly pubsub: PubSub;
  register(service: RegisteredService): Promise<void>;
}

export interface NodePartsInput {
  system: ActorSystem;
  /** The registry, transport and store, and whether the node made them (then it closes them when the tree stops). */
  plugins: NodePlugins;
  codecs: Codecs;
  log: Logger;
  options: ResolvedNodeOptions;
  /** Tracing, metrics and the operations port. */
  ops: OpsSettings;
}

/** Runs `beat` every `everyMs` (each after the previous finished) until stopped. */
function createHeartbeat(clock: Clock, everyMs: number, beat: () => Promise<void>): { start(): void; stop(): void } {
  let timer: unknown;
  let stopped = true;
  const arm = (): void => {
    timer = clock.setTimeout(() => {
      void beat().finally(() => {
        if (!stopped) arm();
      });
    }, everyMs);
  };
  return {
    start() {
      stopped = false;
      arm();
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
    },
  };
}

/** The description a service registers: endpoints with their request/response shapes and kind. */
export function registration(service: Service): RegisteredService {
  return {
    name: service.name,
    version: service.version,
    metadata: { ...service.metadata },
    endpoints: [...service.endpoints.values()].map((e) => ({
      name: e.name,
      request: e.request,
      response: e.response,
      metadata: { stream: String(e.kind === 'stream'), idempotent: String(e.kind === 'unary' && e.idempotent), ...(e.public ? { public: 'true' } : {}) },
    })),
    nodes: [],
  };
}

/** Builds a node's parts and its components (listener, peers, registry watch, services, registration). */
export function buildNodeParts(input: NodePartsInput): NodeParts {
  const { system, codecs, log, plugins } = input;
  const registry = plugins.registry.value;
  const transport = plugins.transport.value;
  const kernel = kernelOf(system);
  const clock = kernel.clock;
  const router = new FrameRouter();
  const state = { listening: false, refreshError: undefined as string | undefined };
  const ops = planOps(input.ops, {
    system,
    registry,
    log,
    connections: () => directory.peers(),
    address: () => directory.address,
    registrations: () => registrations,
    client: () => client,
    conditions: {
      registered: () => (registrations.length > 0 ? undefined : 'not registered'),
      registry: () => state.refreshError,
      transport: () => (state.listening ? undefined : 'not listening'),
      draining: () => (server.draining ? 'draining' : undefined),
    },
  });
  const carried = transport.attachNode?.({ nodeId: system.nodeId, services: () => registrations }) ?? [];
  const auth = plugins.auth.value;
  const authMiddleware: Middleware[] = auth.enabled ? [createAuthMiddleware(auth, { isPublic: (s: string, e: string): boolean => server.isPublic(s, e) })] : [];
  const options = { ...input.options, middleware: [...ops.middleware, ...authMiddleware, ...carried, ...input.options.middleware] };
  const resolver = new ServiceResolver(registry, clock, log, undefined, transport.canDial?.bind(transport));
  const directory = new PeerDirectory({
    nodeId: system.nodeId,
    transport,
    router,
    clock,
    log,
    limits: options.limits,
    dialTimeoutMs: options.dialTimeoutMs,
    addressOf: (id, waitMs) => resolver.addressOf(id, waitMs),
    identity: auth.hello,
  });
  let services: ActorRef<SupervisorMessage> | undefined;
  const server = new MeshServer({
    system,
    tellNow: (ref, call) => kernel.tellNow(ref, call),
    codecs,
    clock,
    log,
    router,
    middleware: options.middleware,
    offloadThresholdBytes: options.offloadThresholdBytes,
    spawnService: async (name, behavior) => {
      services ??= system.spawn(createSupervisor({ strategy: 'one_for_one', ...RESILIENT, children: [] }), { name: 'services' });
      return (await services.ask({ type: 'start-child', spec: { id: name, start: behavior } })) as ActorRef<SupervisorMessage>;
    },
  });
  const client = new MeshClient(
    { nodeId: system.nodeId, asks: kernel.asks, clock, codecs, resolver, log, offloadThresholdBytes: options.offloadThresholdBytes, peer: (a, id) => directory.peer(a, id), health: createNodeHealth({ clock }), local: server, middleware: options.middleware },
    options.client,
  );
  const remote = new RemoteActors({ system, asks: kernel.asks, router, log, middleware: options.middleware, peerForNode: (id) => directory.peerForNode(id), deadLetter: (to, m, meta, reason) => kernel.deadLetter(to, m, meta, reason) });
  kernel.addResolver(remote.resolver);
  directory.onNodeGone((id) => remote.nodeGone(id));
  const reminders = new NodeReminders({ store: () => plugins.store.value, clock, lookup: (path) => kernel.lookup(path), log }, typeof options.reminders === 'object' ? options.reminders : {});
  kernel.setReminders((self) => reminders.for(self));
  const config = createConfigPart({ choice: options.config, options: options.configOptions, table: plugins.table, system, nodeId: system.nodeId, logger: log, env: options.env, clock, client });
  const events = createEvents(plugins.events.value, { system, codecs, clock, log, middleware: options.middleware, offloadThresholdBytes: options.offloadThresholdBytes, ownsBackend: plugins.events.owned });
  directory.onNodeUnreachable((id, address) => resolver.unreachable(id, address));
  const registrations: RegisteredService[] = [];
  const register = async (service: RegisteredService): Promise<void> => {
    const all: Record<string, string> = directory.addresses.length > 1 ? { [ADDRESSES_KEY]: directory.addresses.join(' ') } : {};
    const node = { id: system.nodeId, address: directory.address, metadata: { transport: transport.name, protocol: `micromesh/${PROTOCOL_VERSION}`, ...all } };
    const full = { ...service, nodes: [node] };
    await registry.register(full, ttl);
    registrations.push(full);
  };
  // With `registerTtlMs`, registrations live that long unless registered again: the heartbeat re-registers them at
  // a third of it. Without it, the registry keeps them alive itself with its own TTL.
  const ttl = options.registerTtlMs === undefined ? {} : { ttlMs: options.registerTtlMs };
  const heartbeat = createHeartbeat(clock, (options.registerTtlMs ?? Number.POSITIVE_INFINITY) / 3, async () => {
    state.refreshError = undefined;
    for (const r of [...registrations]) {
      await registry.register(r, ttl).catch((err: unknown) => {
        state.refreshError = `registration refresh failed: ${err instanceof Error ? err.message : String(err)}`;
        log.warn({ service: r.name, err }, 'registration refresh failed');
      });
    }
  });
  const broker = plugins.broker.value;
  const pubsub = new PubSub({ system, broker, codecs, log, middleware: options.middleware, supervision: RESILIENT, deadLetterTopic: options.brokerOptions.deadLetterTopic });
  const brokerHost = createBrokerHost({
    nodeId: system.nodeId,
    clock,
    log,
    registry,
    router,
    transportName: transport.name,
    registerTtlMs: options.registerTtlMs,
    registrations,
    address: () => directory.address,
    peerForNode: (id) => directory.peerForNode(id),
  });
  let listener: Listener | undefined;
  const components: NodeComponent[] = [
    config.component,
    { name: 'registry', start: () => {}, stop: () => (plugins.registry.owned ? registry.close() : undefined) },
    { name: 'store', start: () => {}, stop: () => (plugins.store.owned ? plugins.store.value.close() : undefined) },
    { name: 'sync', start: () => {}, stop: () => (plugins.sync.owned ? plugins.sync.value.close() : undefined) },
    { name: 'events', start: () => {}, stop: () => events.close() },
    {
      name: 'auth',
      // Without rules in authOptions, the rules are the config key `auth.rules`, followed as it changes.
      start: async () => {
        if (!auth.enabled || options.authOptions.rules !== undefined) return;
        const cfg = config.current();
        const rules = (v: unknown): Rule[] => (v ?? []) as Rule[];
        await auth.useRules(watchedRules(() => rules(cfg.get('auth.rules', [])), (fn) => cfg.watch('auth.rules', (v) => fn(rules(v)))));
      },
      stop: () => (plugins.auth.owned ? auth.close() : undefined),
    },
    {
      name: 'listener',
      start: async () => {
        listener = await transport.listen(options.address, (conn) => directory.accept(conn));
        directory.addresses = [options.advertise ?? listener.address, ...(listener.addresses?.slice(1) ?? [])];
        state.listening = true;
      },
      stop: async () => {
        state.listening = false;
        await listener?.close();
        if (plugins.transport.owned) await transport.close();
      },
    },
    { name: 'peers', start: () => {}, stop: () => directory.close() },
    { name: 'registry-watch', start: (ctx) => resolver.start(ctx.fail), stop: () => resolver.stop() },
    { name: 'server', start: () => {}, stop: () => server.close() },
    { name: 'remote-actors', start: () => {}, stop: () => remote.close() },
    { name: 'reminders', start: () => (options.reminders === false ? undefined : reminders.start()), stop: () => reminders.stop() },
    {
      name: 'broker',
      start: () => broker.attach?.(brokerHost),
      stop: async () => {
        brokerHost.closing = true;
        await pubsub.close();
        if (plugins.broker.owned) await broker.close();
      },
    },
    {
      name: 'registration',
      start: async () => {
        if (!server.has(NODE_SERVICE)) await server.serve(ops.nodeService);
        await register(registration(ops.nodeService));
        if (options.registerTtlMs !== undefined) heartbeat.start();
      },
      stop: () => heartbeat.stop(),
    },
    ...ops.components,
  ];
  // A refusal or another node answering is a no; a timeout (a loaded host) is no answer, which admission trusts briefly.
  const answersAs = (address: string, id: string): Promise<boolean> => Promise.resolve(directory.peer(address, id)).then(
    () => true,
    (err: unknown) => {
      if (/answers as node|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ECONNRESET/.test(MicroError.from(err).detail)) return false;
      throw err;
    },
  );
  const admit: AdmitProbe = async ({ id, address, known }) => {
    if (id === system.nodeId) return false;
    if (!(await answersAs(address, id))) return false;
    return known === undefined || known === address || !(await answersAs(known, id));
  };
  return { router, directory, resolver, server, client, remote, registrations, components, register, plugins, events, admit, ops: ops.ops, config, pubsub };
}

/** The mDNS probe, bound once the node's peers exist: records that arrive before wait for it. */
export function lateProbe(): { probe: AdmitProbe; set(probe: AdmitProbe): void } {
  let set!: (probe: AdmitProbe) => void;
  const ready = new Promise<AdmitProbe>((resolve) => {
    set = resolve;
  });
  return { probe: (candidate) => ready.then((p) => p(candidate)), set };
}

export function isCodecs(c: unknown): c is Codecs {
  return typeof c === 'object' && c !== null && typeof (c as Codecs).get === 'function' && typeof (c as Codecs).decodeAsync === 'function';
}

/** The node's actor system and codecs: the ones given in its options, or its own (which it stops with it). */
export function nodeBasics(options: NodeOptions, o: ResolvedNodeOptions): { system: ActorSystem; codecs: Codecs; owns: { system: boolean; codecs: boolean } } {
  const givenSystem = options.system instanceof Object && 'spawn' in options.system ? (options.system as ActorSystem) : undefined;
  const system = givenSystem ?? createActorSystem({ guardianStrategy: oneForOne(RESILIENT), ...(options.system as CreateActorSystemOptions | undefined), nodeId: o.id, logger: o.logger });
  const codecs = isCodecs(options.codecs) ? options.codecs : createCodecs({ ...(options.codecs as Partial<CodecsOptions> | undefined), logger: o.logger });
  return { system, codecs, owns: { system: givenSystem === undefined, codecs: !isCodecs(options.codecs) } };
}
