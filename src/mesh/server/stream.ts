import type { Actor, ActorContext, ActorRef } from '../../actors/index.ts';
import type { SupervisorMessage } from '../../supervisor/index.ts';
import type { Codec } from '../codec/codec.ts';
import { MicroError } from '../errors.ts';
import { type Metadata, MetadataKey, mergeMetadata } from '../metadata.ts';
import type { ServeStreamNext } from '../middleware/middleware.ts';
import type { Peer } from '../peers/peer.ts';
import type { CallContext, ResolvedEndpoint, ServerStream } from '../service.ts';
import { StreamChannel } from '../stream-channel.ts';
import type { ServerCallScope } from './server-call.ts';

export interface ServerStreamStart {
  scope: ServerCallScope;
  peer: Peer;
  streamId: number;
  endpoint: Extract<ResolvedEndpoint, { kind: 'stream' }>;
  /** The stream handler wrapped in the service's middleware. */
  handler: ServeStreamNext;
  codec: Codec;
  metadata: Metadata;
  /** Epoch ms; the stream is failed with TIMEOUT when it passes. */
  deadline: number;
  window: number;
  supervisor: ActorRef<SupervisorMessage>;
  /** Called once when the stream has ended, whichever way. */
  done: () => void;
}

let streamSeq = 0;

/** The actor that runs one inbound stream's handler: started, it runs the handler once and stops. */
class StreamRunner implements Actor<'run'> {
  constructor(
    readonly run: () => Promise<void>,
    readonly cancel: () => void,
  ) {}

  async receive(_msg: 'run', ctx: ActorContext<'run'>): Promise<void> {
    try {
      await this.run();
    } finally {
      ctx.stop();
    }
  }

  postStop(): void {
    this.cancel();
  }
}

/**
 * Serves one inbound stream in an actor of its own (a temporary child of the service's supervisor). When the
 * handler returns the stream ends; when it throws the client gets the error (and a failure of 500 or more is the
 * actor's failure, reported to the supervisor). The stream's deadline is enforced on this side too.
 */
export function startServerStream(s: ServerStreamStart): StreamChannel<unknown, unknown> | undefined {
  const controller = new AbortController();
  const clock = s.scope.clock;
  let timer: unknown;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clock.clearTimeout(timer);
    s.done();
  };
  const channel = new StreamChannel<unknown, unknown>(
    s.peer,
    s.streamId,
    { window: s.window, codec: s.codec, inType: s.endpoint.requestType, outType: s.endpoint.responseType },
    (ch) => {
      if (ch.error !== undefined && !controller.signal.aborted) controller.abort(ch.error);
      finish();
    },
  );
  if (!s.peer.accept(s.streamId, channel, true)) {
    finish();
    return undefined;
  }
  const left = s.deadline - Date.now();
  timer = clock.setTimeout(() => channel.fail(new MicroError('TIMEOUT', `stream ${s.scope.service} ${s.endpoint.name} passed its deadline`), true), Math.max(0, left));
  const ctx: CallContext = {
    service: s.scope.service,
    endpoint: s.endpoint.name,
    metadata: mergeMetadata(s.metadata, { [MetadataKey.CallerNode]: s.peer.caller }),
    signal: controller.signal,
    deadline: s.deadline,
    caller: s.peer.caller,
    certificate: s.peer.conn.peerCertificate,
    account: undefined,
    log: s.scope.log,
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
      await s.handler(stream, ctx);
      channel.closeSend();
    } catch (err) {
      const e = MicroError.from(err, s.scope.service);
      channel.fail(e, true);
      if (e.code >= 500) {
        s.scope.log.warn({ service: s.scope.service, endpoint: s.endpoint.name, err }, 'stream handler failed');
        throw err;
      }
    } finally {
      finish();
    }
  };
  const spec = { id: `stream-${++streamSeq}`, restart: 'temporary' as const, start: { kind: 'factory' as const, create: () => new StreamRunner(run, () => channel.cancel('stopped')) } };
  s.supervisor.ask({ type: 'start-child', spec }).then(
    (ref) => (ref as ActorRef<'run'>).tell('run'),
    (err: unknown) => {
      channel.fail(new MicroError('UNAVAILABLE', `stream could not start: ${MicroError.from(err).detail}`), true);
      finish();
    },
  );
  return channel;
}
