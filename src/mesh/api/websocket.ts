/**
 * Streaming endpoints over WebSocket: an upgrade on `/<service>/<Type.Method>` opens a mesh stream. Each message
 * from the client is one JSON request, each reply one JSON text message. An empty message ends the requests (the
 * stream's `closeSend`); the server ending the stream closes the socket with 1000; a failure sends
 * `{"error": {id, code, detail, status}}` and closes with 4000 + its code (e.g. 4404). Backpressure holds both
 * ways: the socket is not read while the service has granted no credit, and replies are not pulled while more
 * than `wsHighWaterBytes` wait to be written to the client.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../actors/index.ts';
import type { MeshClient } from '../client/client.ts';
import type { ClientStream } from '../client/client-stream.ts';
import { MicroError } from '../errors.ts';
import type { ResolvedApiOptions } from './options.ts';
import { metadataOf, type Target, timeoutOf } from './route.ts';
import { withTraceOf } from './trace.ts';

export interface StreamUpgraderDeps {
  client: MeshClient;
  options: ResolvedApiOptions;
  log: Logger;
}

export interface StreamUpgrader {
  /** Opens the stream, then completes the upgrade; rejects (before upgrading) when the stream cannot be opened. */
  upgrade(target: Target, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  close(): void;
}

type Stream = ClientStream<unknown, unknown>;

const closeCodeOf = (e: MicroError): number => 4000 + (e.code % 1000);

/** Sends a stream's failure as a last message, then closes with 4000 + its code. */
function closeWithError(ws: WebSocket, err: unknown): void {
  const e = MicroError.from(err, 'micro.api');
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify({ error: e.toJSON() }));
  ws.close(closeCodeOf(e), e.reason);
}

/** Client → service: parse and send in order; the socket is not read while a message waits for credit. */
function pumpRequests(ws: WebSocket, stream: Stream): void {
  let pending = Promise.resolve();
  let queued = 0;
  const send = async (bytes: Buffer, isBinary: boolean): Promise<void> => {
    if (stream.closed) return;
    if (bytes.length === 0) return stream.closeSend();
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      stream.cancel();
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ error: new MicroError('BAD_REQUEST', `a ${isBinary ? 'binary' : 'text'} message is not JSON: ${(err as Error).message}`, { id: 'micro.api' }).toJSON() }));
        ws.close(1007, 'not JSON');
      }
      return;
    }
    await stream.send(message);
  };
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (++queued === 1) ws.pause();
    pending = pending
      .then(() => send(bytes, isBinary))
      .catch(() => {})
      .then(() => {
        if (--queued === 0) ws.resume();
      });
  });
}

/** Service → client: pull a reply only when the socket has room for it. */
async function pumpReplies(ws: WebSocket, stream: Stream, highWater: number): Promise<void> {
  for await (const reply of stream) {
    if (ws.readyState !== ws.OPEN) return;
    const text = JSON.stringify(reply ?? null);
    if (ws.bufferedAmount + text.length <= highWater) ws.send(text);
    else await new Promise<void>((resolve) => ws.send(text, () => resolve()));
  }
}

export function createStreamUpgrader(deps: StreamUpgraderDeps): StreamUpgrader {
  const { options } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes, perMessageDeflate: false });
  const open = new Set<Stream>();
  return {
    async upgrade(target, req, socket, head) {
      const metadata = metadataOf(req.headers);
      const timeoutMs = timeoutOf(req.headers, options.streamTimeoutMs);
      const stream = await withTraceOf(metadata, () => deps.client.stream(target.service, target.endpoint, { timeoutMs, metadata }));
      if (socket.destroyed) return stream.cancel();
      open.add(stream);
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('close', () => {
          open.delete(stream);
          if (!stream.closed) stream.cancel();
        });
        ws.on('error', (err) => deps.log.debug({ err, service: target.service, endpoint: target.endpoint }, 'websocket stream error'));
        pumpRequests(ws, stream);
        pumpReplies(ws, stream, options.wsHighWaterBytes).then(
          () => {
            if (ws.readyState === ws.OPEN) ws.close(1000);
          },
          (err: unknown) => closeWithError(ws, err),
        );
      });
    },
    close() {
      for (const s of open) s.cancel();
      open.clear();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
