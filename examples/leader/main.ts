import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Three candidates elect a leader on Redis. The leader runs a job twice, is killed with SIGKILL, and another
// candidate takes over with a greater fencing token once the dead leader's lease (1.5 s) runs out.
const here = fileURLToPath(new URL('./candidate.ts', import.meta.url));
const children: ChildProcess[] = [];
const lines: Array<(line: string) => void> = [];
const waitFor = (match: RegExp): Promise<RegExpExecArray> =>
  new Promise((resolve) => {
    const check = (line: string): void => {
      const m = match.exec(line);
      if (m === null) return;
      lines.splice(lines.indexOf(check), 1);
      resolve(m);
    };
    lines.push(check);
  });
const timer = setTimeout(() => {
  console.error('leader example did not finish in 30 s');
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
}, 30_000);

const byName = new Map<string, ChildProcess>();
for (const name of ['alpha', 'beta', 'gamma']) {
  const child = spawn(process.execPath, ['--import', 'tsx', here], { env: { ...process.env, CANDIDATE: name }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  byName.set(name, child);
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    console.log(line);
    for (const check of [...lines]) check(line);
  });
}
const [, first, firstToken] = await waitFor(/^(\w+) leads with fencing token (\d+)$/);
await waitFor(new RegExp(`^${first} ran the job`));
await waitFor(new RegExp(`^${first} ran the job`));
console.log(`[main] killing the leader ${first} with SIGKILL`);
byName.get(first as string)?.kill('SIGKILL');
const killedAt = Date.now();
const [, second, secondToken] = await waitFor(/^(\w+) leads with fencing token (\d+)$/);
await waitFor(new RegExp(`^${second} ran the job`));
console.log(`[main] ${second} took over after ${Date.now() - killedAt} ms with token ${secondToken} > ${firstToken}: ${Number(secondToken) > Number(firstToken)}`);
for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
clearTimeout(timer);
