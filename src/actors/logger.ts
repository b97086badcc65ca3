/**
 * The logging contract every layer writes to: pino's call shape (`logger.warn({ fields }, 'message')`),
 * so a pino instance can be passed anywhere a Logger is wanted.
 */
export interface LogFn {
  (fields: Record<string, unknown>, message?: string): void;
  (message: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child?(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** A logger that drops everything: the default for a bare actor system and for tests. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

/** A logger that records every entry in memory, for tests that assert on what was logged. */
export interface RecordingLogger extends Logger {
  readonly entries: Array<{ level: 'debug' | 'info' | 'warn' | 'error'; fields: Record<string, unknown>; message: string }>;
}

export function createRecordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = [];
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error'): LogFn =>
    (a: Record<string, unknown> | string, b?: string) => {
      if (typeof a === 'string') entries.push({ level, fields: {}, message: a });
      else entries.push({ level, fields: a, message: b ?? '' });
    };
  const logger: RecordingLogger = { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  logger.child = () => logger;
  return logger;
}
