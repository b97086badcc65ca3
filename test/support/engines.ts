import { connect } from 'node:net';

/** Whether something accepts TCP connections at 127.0.0.1:`port` within `timeoutMs`. */
export function reachable(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Waits until a server process just started listens on 127.0.0.1:`port`; throws naming `what` when `child` exits
 * first or `timeoutMs` pass.
 */
export async function untilListening(port: number, what: string, child?: { exitCode: number | null }, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await reachable(port, 200))) {
    if (performance.now() > deadline || (child !== undefined && child.exitCode !== null)) throw new Error(`${what} did not start on port ${port}`);
    // A refused connection comes back at once: pause, so that the starting process gets the CPU.
    await new Promise((r) => setTimeout(r, 20));
  }
}

const seen = new Map<number, Promise<boolean>>();

/**
 * Whether a real server (PostgreSQL 5432, Redis 6379, NATS 4222) is there for integration tests. Unreachable, tests
 * skip with a line naming it, except under CI=true, where this throws so that the run fails.
 */
export async function engineAvailable(name: string, port: number): Promise<boolean> {
  let probe = seen.get(port);
  if (probe === undefined) seen.set(port, (probe = reachable(port)));
  if (await probe) return true;
  if (process.env.CI === 'true') throw new Error(`${name} is not reachable on 127.0.0.1:${port}, and CI=true requires it`);
  console.log(`# skipping ${name} tests: nothing listens on 127.0.0.1:${port}`);
  return false;
}

/** A name unique to this test run, for tables and key prefixes: `mm_<pid>_<random>`. */
export function runId(): string {
  return `mm_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
