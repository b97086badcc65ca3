import { spawn } from 'node:child_process';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs bin/micro.js (built by `npm run build`, as `npm test` does first) with `env` added; stdin is `input` then EOF
 * (`null`: one line, then stdin stays open). Fails past 30 s.
 */
export function runMicro(args: string[], input: string | null = '', env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, ['bin/micro.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {});
  if (input === null) child.stdin.write('"open"\n');
  else child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`micro ${args.join(' ')} ran over 30 s\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
