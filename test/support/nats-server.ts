import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { closedPort, untilListening } from './engines.ts';
import { killChild } from './processes.ts';

const BINARY = '/usr/sbin/nats-server';

/** Whether a test can start a nats-server of its own; under CI=true a missing binary fails the run instead. */
export function natsServerBinaryAvailable(): boolean {
  if (existsSync(BINARY)) return true;
  if (process.env.CI === 'true') throw new Error(`${BINARY} is missing, and CI=true requires it`);
  console.log(`# skipping tests that restart NATS: no ${BINARY}`);
  return false;
}

/** A nats-server of the test's own on 127.0.0.1, which it may stop and start again on the same port. */
export interface OwnNatsServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again); resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it and waits for it to exit. */
  stop(): Promise<void>;
}

export async function ownNatsServer(): Promise<OwnNatsServer> {
  const port = await closedPort();
  let child: ChildProcess | undefined;
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    async start() {
      child = spawn(BINARY, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      await untilListening(port, 'nats-server', child);
    },
    async stop() {
      if (child !== undefined) await killChild(child);
      child = undefined;
    },
  };
}
