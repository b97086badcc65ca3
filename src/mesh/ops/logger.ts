import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream } from 'pino';
import type { Logger } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import type { Middleware } from '../middleware/middleware.ts';

export interface NodeLoggerOptions {
  /** Bound on every line as `node`. */
  id: string;
  /** @default env MICRO_LOG_LEVEL, else 'warn' */
  level?: string;
  /** `json` (one object per line) or `pretty` (needs the pino-pretty package). @default env MICRO_LOG_FORMAT, else 'json' */
  format?: string;
  /** Where JSON lines go (not with `pretty`). @default stdout */
  destination?: DestinationStream;
}

/** The trace and span ids of the active span, on every line logged inside a traced call. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/**
 * The node's default pino logger: JSON lines (or pretty ones through pino-pretty when it is installed), with
 * `trace_id` and `span_id` from the active OpenTelemetry span.
 */
export function createNodeLogger(options: NodeLoggerOptions, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = options.level ?? env.MICRO_LOG_LEVEL ?? 'warn';
  const format = options.format ?? env.MICRO_LOG_FORMAT ?? 'json';
  if (format !== 'json' && format !== 'pretty') throw new MicroError('BAD_REQUEST', `MICRO_LOG_FORMAT must be json or pretty, got ${JSON.stringify(format)}`);
  if (format === 'pretty') {
    try {
      createRequire(import.meta.url).resolve('pino-pretty');
    } catch {
      throw new MicroError('BAD_REQUEST', 'MICRO_LOG_FORMAT=pretty needs the pino-pretty package: npm install pino-pretty (or use json)');
    }
  }
  const transport = format === 'pretty' ? { target: 'pino-pretty' } : undefined;
  const settings = { level, base: { node: options.id }, mixin: traceFields, transport };
  return (options.destination === undefined || transport !== undefined ? pino(settings) : pino(settings, options.destination)) as unknown as Logger;
}

/** True unless the logger says it drops debug lines (pino's `isLevelEnabled`). */
export function logsDebug(log: Logger): boolean {
  const enabled = (log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled;
  return enabled === undefined || enabled.call(log, 'debug');
}

/** A debug line per inbound unary call: service, endpoint, status (OK or the error reason) and duration. */
export function requestLogMiddleware(now: () => number = () => performance.now()): Middleware {
  return {
    name: 'request-log',
    handler: (next) => async (request, ctx) => {
      const started = now();
      let status = 'OK';
      try {
        return await next(request, ctx);
      } catch (err) {
        status = MicroError.from(err).reason;
        throw err;
      } finally {
        ctx.log.debug({ service: ctx.service, endpoint: ctx.endpoint, status, durationMs: Math.round((now() - started) * 1000) / 1000 }, 'request');
      }
    },
  };
}
