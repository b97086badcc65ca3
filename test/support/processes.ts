import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Starts a TypeScript file as a child process and resolves when it prints a line starting with `ready`. */
export function startProcess(file: string, env: Record<string, string>, timeoutMs = 20_000): Promise<{ child: ChildProcess; ready: string }> {
  const path = fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', path], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} printed no ready line within ${timeoutMs} ms`));
    }, timeoutMs);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('ready')) return;
      clearTimeout(timer);
      resolve({ child, ready: line });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before it was ready`));
    });
  });
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A random high UDP port for an mDNS test, so runs never meet. */
export const randomMdnsPort = (): number => 20_000 + Math.floor(Math.random() * 20_000);

/** Kills a child with SIGKILL (if it still runs) and waits for it to exit. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A process running the mDNS registry fixture: registers `service` as node child-1 (at `address`, if given). */
export function startRegistryChild(port: number, domain: string, service: string, ttlMs: number, address?: string): ChildProcess {
  const fixture = fileURLToPath(new URL('../fixtures/mdns-registry-node.ts', import.meta.url));
  const args = [fixture, String(port), domain, service, 'child-1', String(ttlMs), ...(address === undefined ? [] : [address])];
  return spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs `node --import tsx <file>` and resolves once it prints a line containing `text`. */
export function spawnUntil(file: string, text: string, timeoutMs = 20_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not print "${text}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      if (!d.toString().includes(text)) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before printing "${text}"`));
    });
  });
}

/** What a finished command printed, and how it exited. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bin/micro.js <args>` with stdin closed; fails after `timeoutMs` (the child is killed). */
export function runMicro(args: string[], timeoutMs = 30_000): Promise<Ran> {
  const child = spawn(process.execPath, ['bin/micro.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`micro ${args.join(' ')} ran over ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
