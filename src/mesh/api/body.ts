/** Request bodies, bounded in size and time, and JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroError, type MicroErrorJSON } from '../errors.ts';

const ID = 'micro.api';

/** What a body being read holds, kept on the request so that the listeners are shared functions, not closures. */
interface Reading {
  chunks: Buffer[];
  size: number;
  limit: number;
  resolve: (body: Buffer) => void;
  reject: (err: MicroError) => void;
}

const READING = Symbol('micro.api.reading');
type ReadingRequest = IncomingMessage & { [READING]?: Reading };

function settle(req: ReadingRequest, err: MicroError | undefined): void {
  const r = req[READING];
  if (r === undefined) return;
  req[READING] = undefined;
  req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
  if (err !== undefined) {
    req.pause();
    return r.reject(err);
  }
  r.resolve(r.chunks.length === 1 ? (r.chunks[0] as Buffer) : Buffer.concat(r.chunks, r.size));
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const r = this[READING];
  if (r === undefined) return;
  r.size += chunk.length;
  if (r.size > r.limit) return settle(this, tooLarge(r.limit));
  r.chunks.push(chunk);
}

function onEnd(this: ReadingRequest): void {
  settle(this, undefined);
}

function onError(this: ReadingRequest, err: Error): void {
  settle(this, new MicroError('BAD_REQUEST', `the request body could not be read: ${err.message}`, { id: ID }));
}

function onClose(this: ReadingRequest): void {
  settle(this, new MicroError('CANCELLED', 'the client closed the request', { id: ID }));
}

/**
 * The whole body, at most `limit` bytes: a declared or actual larger body rejects with PAYLOAD_TOO_LARGE at once
 * (nothing more is buffered). A body that trickles in is bounded by the HTTP server's request timeout, which
 * answers 408 and closes the connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    (req as ReadingRequest)[READING] = { chunks: [], size: 0, limit, resolve, reject };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

const tooLarge = (limit: number): MicroError => new MicroError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`, { id: ID });

/** The body as JSON: empty is `{}`; anything unparsable is a 400 naming the parser's complaint. */
export function parseBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new MicroError('BAD_REQUEST', `the request body is not JSON: ${(err as Error).message}`, { id: ID });
  }
}

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  if (res.headersSent) return void res.destroy();
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (headers !== undefined) for (const k in headers) res.setHeader(k, headers[k] as string);
  res.end(body);
}

/**
 * A MicroError as an HTTP answer: its code is the status and its JSON the body (go-micro's `{id, code, detail,
 * status}` plus the reason). A request the gateway could not read to the end closes the connection after it.
 */
export function sendError(res: ServerResponse, err: unknown, closeAfter = false, headers?: Record<string, string>): void {
  const e = MicroError.from(err, ID);
  const json: MicroErrorJSON = e.toJSON();
  sendJson(res, e.code, JSON.stringify(json), closeAfter ? { ...headers, connection: 'close' } : headers);
}
