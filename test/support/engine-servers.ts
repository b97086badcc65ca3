import { type ChildProcess, spawn } from 'node:child_process';
import { closedPort, untilListening } from './engines.ts';
import { killChild } from './processes.ts';

/** A nats-server or redis-server of a test's own, on a spare port, that the test may stop and start again. */
export interface EngineServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** NATS: messages in since start (with `monitor`); Redis: commands processed since start. */
  traffic(): Promise<number>;
}

export async function startEngineServer(engine: 'nats' | 'redis', options: { monitor?: boolean } = {}): Promise<EngineServer> {
  const port = await closedPort();
  const monitor = options.monitor ? await closedPort() : undefined;
  let child: ChildProcess | undefined;
  const server: EngineServer = {
    port,
    url: `${engine}://127.0.0.1:${port}`,
    async start() {
      child =
        engine === 'nats'
          ? spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), ...(monitor === undefined ? [] : ['-m', String(monitor)])], { stdio: 'ignore' })
          : spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await untilListening(port, `${engine} server`);
    },
    async traffic() {
      if (engine === 'nats') {
        if (monitor === undefined) throw new Error('start the nats server with monitor: true');
        const varz = (await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as { in_msgs: number };
        return varz.in_msgs;
      }
      const { Redis } = await import('ioredis');
      const redis = new Redis(port, '127.0.0.1');
      try {
        const info = await redis.info('stats');
        return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
      } finally {
        redis.disconnect();
      }
    },
    async stop() {
      if (child !== undefined) await killChild(child);
      child = undefined;
    },
  };
  await server.start();
  return server;
}
