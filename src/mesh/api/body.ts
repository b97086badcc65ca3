/** Request bodies, bounded in size and time, and JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MicroError, type MicroErrorJSON } from '../errors.ts';

const ID = 'micro.api';

/**
 * The whole body, at most `limit` bytes: a declared or actual larger body rejects with PAYLOAD_TOO_LARGE at once
 * (nothing more is buffered), a body not complete within `timeoutMs` of the call with TIMEOUT.
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new MicroError('TIMEOUT', `the request body did not arrive within ${timeoutMs} ms`, { id: ID })), timeoutMs);
    const finish = (err: MicroError | undefined): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err === undefined) resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      else {
        req.pause();
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) return finish(tooLarge(limit));
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (err: Error): void => finish(new MicroError('BAD_REQUEST', `the request body could not be read: ${err.message}`, { id: ID }));
    const onClose = (): void => finish(new MicroError('CANCELLED', 'the client closed the request', { id: ID }));
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
