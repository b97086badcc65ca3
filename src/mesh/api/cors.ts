/** CORS: headers for allowed origins, and answers to preflight requests. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsOptions } from './options.ts';

const METHODS = 'GET, POST, OPTIONS';

/** Sets the CORS headers when the request's origin is allowed; returns whether it is. */
export function applyCors(cors: Required<CorsOptions>, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || cors.origins.length === 0) return false;
  const any = cors.origins.includes('*');
  if (!any && !cors.origins.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', any && !cors.credentials ? '*' : origin);
  if (!any || cors.credentials) res.setHeader('vary', 'Origin');
  if (cors.credentials) res.setHeader('access-control-allow-credentials', 'true');
  return true;
}

/** A preflight (OPTIONS) answer: 204 with the allowed methods and headers, or 204 without them for other origins. */
export function answerPreflight(cors: Required<CorsOptions>, allowed: boolean, res: ServerResponse): void {
  if (allowed) {
    res.setHeader('access-control-allow-methods', METHODS);
    res.setHeader('access-control-allow-headers', cors.headers.join(', '));
    res.setHeader('access-control-max-age', String(cors.maxAgeSeconds));
  }
  res.setHeader('allow', METHODS);
  res.writeHead(204);
  res.end();
}
