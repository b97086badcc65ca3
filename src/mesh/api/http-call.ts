/** `POST /<service>/<endpoint>`: one request body in, one JSON reply out, through the node's client. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeshClient } from '../client/client.ts';
import { MicroError } from '../errors.ts';
import { parseBody, readBody, sendError } from './body.ts';
import type { ResolvedApiOptions } from './options.ts';
import { metadataOf, type Target, timeoutOf } from './route.ts';
import { withServerSpan, withTraceOf } from './trace.ts';

export interface HttpCallDeps {
  client: MeshClient;
  options: ResolvedApiOptions;
  /** The gateway's bound `host:port`. */
  address(): string;
}

/** go-micro's `POST /rpc`: `{ "service", "endpoint" (or "method"), "request" }` in one JSON body. */
function rpcTarget(body: unknown): { target: Target; request: unknown } {
  const b = (body ?? {}) as Record<string, unknown>;
  const endpoint = b.endpoint ?? b.method;
  if (typeof b.service !== 'string' || b.service === '' || typeof endpoint !== 'string' || endpoint === '') {
    throw new MicroError('BAD_REQUEST', 'POST /rpc wants {"service": "...", "endpoint": "Type.Method", "request": {...}}', { id: 'micro.api' });
  }
  return { target: { service: b.service, endpoint }, request: b.request ?? {} };
}

/** Calls `target` with the request body; without a target (`POST /rpc`), the body names it. */
export async function serveCall(deps: HttpCallDeps, given: Target | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, deps.options.maxBodyBytes);
  } catch (err) {
    // The rest of an unread body is not worth reading: answer, then close the connection.
    return sendError(res, err, true);
  }
  try {
    let request = parseBody(body);
    let target: Target;
    if (given === undefined) ({ target, request } = rpcTarget(request));
    else target = given;
    const timeoutMs = timeoutOf(req.headers, deps.options.timeoutMs);
    const metadata = metadataOf(req.headers);
    // A client that goes away does not cancel the call: its deadline bounds it, and the answer is dropped.
    const options = { timeoutMs, metadata };
    const tracer = deps.options.tracer;
    const reply = await (tracer !== undefined
      ? withServerSpan(tracer, metadata, `/${target.service}/${target.endpoint}`, deps.address(), () => deps.client.call(target.service, target.endpoint, request, options))
      : metadata.traceparent === undefined
        ? deps.client.call(target.service, target.endpoint, request, options)
        : withTraceOf(metadata, () => deps.client.call(target.service, target.endpoint, request, options)));
    const text = JSON.stringify(reply ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (err) {
    sendError(res, err);
  }
}
