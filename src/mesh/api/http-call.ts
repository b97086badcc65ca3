/** `POST /<service>/<endpoint>`: one request body in, one JSON reply out, through the node's client. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MeshClient } from '../client/client.ts';
import { parseBody, readBody, sendError } from './body.ts';
import type { ResolvedApiOptions } from './options.ts';
import { metadataOf, type Target, timeoutOf } from './route.ts';
import { withTraceOf } from './trace.ts';

export interface HttpCallDeps {
  client: MeshClient;
  options: ResolvedApiOptions;
}

export async function serveCall(deps: HttpCallDeps, target: Target, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: Buffer;
  try {
    body = await readBody(req, deps.options.maxBodyBytes);
  } catch (err) {
    // The rest of an unread body is not worth reading: answer, then close the connection.
    return sendError(res, err, true);
  }
  try {
    const request = parseBody(body);
    const timeoutMs = timeoutOf(req.headers, deps.options.timeoutMs);
    const metadata = metadataOf(req.headers);
    // A client that goes away does not cancel the call: its deadline bounds it, and the answer is dropped.
    const options = { timeoutMs, metadata };
    const reply = await (metadata.traceparent === undefined
      ? deps.client.call(target.service, target.endpoint, request, options)
      : withTraceOf(metadata, () => deps.client.call(target.service, target.endpoint, request, options)));
    const text = JSON.stringify(reply ?? null);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (err) {
    sendError(res, err);
  }
}
