import type { ActorRef, Logger } from '../../actors/index.ts';
import type { SupervisorMessage } from '../../supervisor/index.ts';
import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import type { Metadata } from '../metadata.ts';
import type { Peer } from '../peer.ts';
import type { CallContext, ResolvedEndpoint, ServerStream } from '../service.ts';
import { StreamChannel } from '../stream-channel.ts';

export interface ServerStreamStart {
  peer: Peer;
  streamId: number;
  service: string;
  endpoint: Extract<ResolvedEndpoint, { kind: 'stream' }>;
  codec: Codec;
  metadata: Metadata;
  deadline: number;
  window: number;
  log: Logger;
  supervisor: ActorRef<SupervisorMessage>;
  done: () => void;
}

let streamSeq = 0;

/**
 * Serves one inbound stream in an actor of its own (a temporary child of the service's supervisor): its handler
 * runs as the actor's start; when it returns the stream ends, when it throws the client gets the error.
 */
export function startServerStream(s: ServerStreamStart): void {
  const controller = new AbortController();
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    s.done();
  };
  const channel = new StreamChannel<unknown, unknown>(
    s.peer.conn,
    s.streamId,
    { window: s.window, codec: s.codec, inType: s.endpoint.requestType, outType: s.endpoint.responseType },
    (ch) => {
      s.peer.removeStream(ch.streamId);
      if (ch.error !== undefined && !controller.signal.aborted) controller.abort(ch.error);
      finish();
    },
  );
  s.peer.addStream(channel);
  const ctx: CallContext = {
    service: s.service,
    endpoint: s.endpoint.name,
    metadata: s.metadata,
    signal: controller.signal,
    deadline: s.deadline,
    caller: s.peer.remoteNodeId ?? 'unknown',
    log: s.log,
  };
  const stream: ServerStream<unknown, unknown> = {
    send: (m) => channel.send(m),
    get receiveDone() {
      return channel.receiveDone;
    },
    [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
  };
  const run = async (): Promise<void> => {
    try {
      await s.endpoint.handler(stream, ctx);
      channel.closeSend();
    } catch (err) {
      const e = MicroError.from(err, s.service);
      channel.fail(e, true);
      if (e.code >= 500) throw err;
    } finally {
      finish();
    }
  };
  s.supervisor
    .ask({
      type: 'start-child',
      spec: { id: `stream-${++streamSeq}`, restart: 'temporary', start: { kind: 'factory', create: () => ({ preStart: async (actorCtx) => { await run(); actorCtx.stop(); }, receive() {}, postStop: () => channel.cancel('stopped') }) } },
    })
    .catch((err: unknown) => {
      channel.fail(new MicroError('UNAVAILABLE', `stream could not start: ${MicroError.from(err).detail}`), true);
      finish();
    });
}
