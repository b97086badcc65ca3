import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import { type Attempt, CALL_SELF, type OutboundCall } from '../middleware/middleware.ts';
import type { Peer } from '../peers/peer.ts';
import { encodeRequest, Flag } from '../protocol.ts';
import type { RegistryNode } from '../registry/registry.ts';
import { StreamChannel } from '../stream-channel.ts';
import { FrameType } from '../transport/transport.ts';
import type { MeshClient } from './client.ts';
import { ClientStream } from './client-stream.ts';
import { type CallOptions, notRun } from './options.ts';

/** A stream being opened, as middleware sees it. */
export class StreamCall implements OutboundCall {
  readonly kind = 'stream' as const;
  readonly [CALL_SELF]: StreamCall = this;
  readonly request = undefined;
  metadata: Metadata;

  constructor(
    readonly service: string,
    readonly endpoint: string,
    readonly options: CallOptions,
    readonly timeoutMs: number,
    readonly codec: Codec,
    readonly contentType: string,
    /** Epoch ms. */
    readonly deadline: number,
  ) {
    this.metadata = options.metadata ?? EMPTY_METADATA;
  }
}

/**
 * Opens a client stream: the same node choice, node health and retry-on-connect-failure as a unary call (a stream
 * open that surely did not reach a node is tried on the next one), then the stream's deadline is enforced here as on
 * the server.
 */
export async function openStream(client: MeshClient, call: StreamCall): Promise<ClientStream<unknown, unknown>> {
  const tried = new Set<string>();
  const retries = call.options.retries ?? client.retries;
  let lastError: MicroError | undefined;
  for (let number = 1; ; number++) {
    if (Date.now() >= call.deadline) throw lastError ?? new MicroError('TIMEOUT', `stream to ${call.service} ${call.endpoint} not opened in ${call.timeoutMs} ms`);
    const nodes = await client.nodes(call.service, call.options.version);
    if (nodes.length === 0) throw new MicroError('SERVICE_NOT_FOUND', `service ${call.service} not found`);
    const node = client.pick(call, nodes, tried);
    if (node === undefined) throw lastError ?? new MicroError('UNAVAILABLE', `no available node of ${call.service}`);
    tried.add(node.id);
    const attempt: Attempt = { call, node, number, local: false };
    try {
      const stream = await client.streamAttempt(attempt);
      client.finished(call, node, undefined);
      return stream;
    } catch (err) {
      const e = MicroError.from(err);
      client.finished(call, node, e);
      if (!notRun(e) || number > retries) throw e;
      lastError = e;
    }
  }
}

/** The per-attempt function of a stream open: sends the opening REQUEST over the connection to the node. */
export async function openStreamOn(client: MeshClient, node: RegistryNode, call: StreamCall): Promise<ClientStream<unknown, unknown>> {
  let peer: Peer;
  try {
    peer = await client.deps.peer(node.address, node.id);
  } catch (err) {
    throw MicroError.from(err);
  }
  if (peer.draining) throw new MicroError('DRAINING', `${peer.name} is stopping`);
  const clock = client.deps.clock;
  const id = peer.nextStreamId();
  let timer: unknown;
  const channel = new StreamChannel<unknown, unknown>(
    peer,
    id,
    { window: call.options.streamWindow ?? 32, codec: call.codec, inType: call.options.responseType, outType: call.options.requestType },
    () => clock.clearTimeout(timer),
  );
  peer.open(id, channel);
  const left = Math.max(1, call.deadline - Date.now());
  const header = encodeRequest({ service: call.service, endpoint: call.endpoint, contentType: call.contentType, timeoutMs: left, metadata: call.metadata });
  try {
    peer.send({ type: FrameType.REQUEST, flags: Flag.Stream, streamId: id, header, body: new Uint8Array(0) });
  } catch (err) {
    peer.close(id);
    throw new MicroError('CONNECT_FAILED', MicroError.from(err).detail, { cause: err });
  }
  timer = clock.setTimeout(() => channel.fail(new MicroError('TIMEOUT', `stream to ${call.service} ${call.endpoint} passed its deadline of ${call.timeoutMs} ms`, { id: call.service }), true), left);
  const stream = new ClientStream<unknown, unknown>(channel);
  const signal = call.options.signal;
  if (signal !== undefined) {
    if (signal.aborted) stream.cancel();
    else signal.addEventListener('abort', () => stream.cancel(), { once: true });
  }
  return stream;
}
