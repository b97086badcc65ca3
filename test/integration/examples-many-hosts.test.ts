import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { engineAvailable, runId } from '../support/engines.ts';
import { stopProcess } from '../support/processes.ts';

const run = promisify(execFile);

/** Starts the many-hosts server with `env` and resolves once it says it serves. */
function startServer(env: Record<string, string>): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/many-hosts/server.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the many-hosts server did not start within 30 s')), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (!d.toString().includes('greeter serving on')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the many-hosts server exited with ${code}`)));
  });
}

for (const [engine, port] of [['nats', 4222], ['redis', 6379]] as const) {
  test(`examples — many-hosts: the helloworld greeter on ${engine}, chosen by MICRO_REGISTRY alone`, { timeout: 60_000 }, async (t) => {
    if (!(await engineAvailable(engine, port))) return t.skip(`${engine} is not running`);
    const prefix = engine === 'nats' ? `${runId()}.hosts` : `${runId()}:hosts`;
    const env = { MICRO_REGISTRY: `${engine}://127.0.0.1:${port}?prefix=${prefix}` };
    const server = await startServer(env);
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/many-hosts/client.ts'], { timeout: 30_000, env: { ...process.env, ...env } });
      assert.equal(stdout.trim(), `Hello Ada (found through ${engine})`);
    } finally {
      await stopProcess(server);
    }
  });
}
