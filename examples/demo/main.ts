import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// `npm start`: three node processes on the embedded defaults (mDNS on loopback, TCP on 127.0.0.1).
// Two serve greeter, one calls: calls spread over both, a stream runs, one server is killed, calls go on.
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const children: ChildProcess[] = [];

function start(file: string, env: Record<string, string>, onLine: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', here(file)], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', onLine);
  return child;
}

function startServer(id: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = start('./server.ts', { DEMO_NODE_ID: id }, (line) => {
      console.log(`[${id}] ${line}`);
      if (line.startsWith('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${id} exited with ${code}`)));
  });
}

const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
};
const timer = setTimeout(() => {
  console.error('demo did not finish in 60 s');
  stopAll();
  process.exit(1);
}, 60_000);

try {
  console.log('starting two greeter servers and a caller…');
  const [serverA, serverB] = await Promise.all([startServer('server-a'), startServer('server-b')]);
  const code = await new Promise<number>((resolve) => {
    const caller = start('./caller.ts', {}, (line) => {
      if (line === 'kill-one') {
        console.log('[demo] killing server-b with SIGKILL');
        serverB.kill('SIGKILL');
        serverB.once('exit', () => caller.stdin?.write('go\n'));
      } else console.log(line);
    });
    caller.once('exit', (c) => resolve(c ?? 1));
  });
  serverA.kill('SIGTERM');
  await new Promise((r) => serverA.once('exit', r));
  console.log(code === 0 ? 'demo finished: every call succeeded' : `demo failed (caller exited ${code})`);
  clearTimeout(timer);
  process.exit(code);
} catch (err) {
  console.error(err);
  stopAll();
  process.exit(1);
}
