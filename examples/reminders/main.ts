import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// A reminder outlives its process: the first process sets it for 1.5 s from now and is killed with SIGKILL at once;
// a second process, on the same store, receives it.
const dir = await mkdtemp(join(tmpdir(), 'micromesh-reminders-'));
const alarm = fileURLToPath(new URL('./alarm.ts', import.meta.url));
const start = (env: Record<string, string>, until: RegExp): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', alarm], { env: { ...process.env, STORE_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      console.log(line);
      if (until.test(line)) resolve(child);
    });
    child.once('exit', (code, signal) => reject(new Error(`alarm exited with ${code ?? signal}`)));
  });
const timer = setTimeout(() => {
  console.error('reminders example did not finish in 30 s');
  process.exit(1);
}, 30_000);
try {
  const first = await start({ SET_IN_MS: '1500' }, /reminder "wake" set/);
  first.removeAllListeners('exit');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  console.log('[main] killed the first process with SIGKILL; starting another on the same store');
  const second = await start({}, /reminder wake fired/);
  second.removeAllListeners('exit');
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));
  console.log('[main] the reminder survived its process');
} finally {
  clearTimeout(timer);
  await rm(dir, { recursive: true, force: true });
}
