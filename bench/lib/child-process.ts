/**
 * Peer servers run in their own process so that client and server do not share an event loop,
 * as in production. {@link spawnTsx} starts a TypeScript file under tsx and resolves once the child
 * prints `ready <port>` (see ./child-ready.ts); the returned handle's `stop()` always ends it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** A running child server. */
export interface ChildServer {
  /** The port the child announced in its `ready <port>` line. */
  readonly port: number;
  readonly pid: number;
  /** Ends the child: SIGTERM, then SIGKILL after `stopTimeoutMs`. Idempotent; never rejects. */
  stop(): Promise<void>;
}

export interface SpawnTsxOptions {
  /** Extra arguments after the file name. @default [] */
  args: string[];
  /** Environment of the child. @default process.env */
  env: NodeJS.ProcessEnv;
  /** Working directory, from which `tsx` is resolved. @default the repository root */
  cwd: string;
  /** How long to wait for `ready <port>` before killing the child and rejecting. @default 15000 */
  readyTimeoutMs: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 3000 */
  stopTimeoutMs: number;
}

export function defaultSpawnTsxOptions(): SpawnTsxOptions {
  return {
    args: [],
    env: process.env,
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
    readyTimeoutMs: 15_000,
    stopTimeoutMs: 3000,
  };
}

const STDERR_TAIL_CHARS = 4000;
const READY_LINE = /^ready (\d+)$/;

function exited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Starts `node --import tsx <file> ...args` and resolves when it prints `ready <port>`. */
export function spawnTsx(file: string, options: Partial<SpawnTsxOptions> = {}): Promise<ChildServer> {
  const o = { ...defaultSpawnTsxOptions(), ...options };
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...o.args], {
    cwd: o.cwd,
    env: o.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  // The child watches its stdin and exits when it closes, so it also goes if this process dies hard.
  child.stdin?.on('error', () => {});
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      child.stdin?.end();
      if (!exited(child)) {
        child.kill('SIGTERM');
        if (!(await waitExit(child, o.stopTimeoutMs))) {
          child.kill('SIGKILL');
          await waitExit(child, o.stopTimeoutMs);
        }
      }
      process.off('exit', killOnExit);
    })();
    return stopping;
  };

  return new Promise<ChildServer>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const failStart = (why: string): void => {
      clearTimeout(timer);
      lines.close();
      const tail = stderrTail.trim();
      void stop().then(() => reject(new Error(`${file}: ${why}${tail ? `\n${tail}` : ''}`)));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      failStart(`exited (code ${code}, signal ${signal}) before printing "ready <port>"`);
    };
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      failStart(`not ready within ${o.readyTimeoutMs} ms`);
    }, o.readyTimeoutMs);
    child.once('exit', onExit);
    child.once('error', (err) => {
      child.off('exit', onExit);
      failStart(`could not start: ${err.message}`);
    });
    lines.on('line', (line) => {
      const m = READY_LINE.exec(line.trim());
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      lines.on('line', () => {});
      resolve({ port: Number(m[1]), pid: child.pid ?? -1, stop });
    });
  });
}
