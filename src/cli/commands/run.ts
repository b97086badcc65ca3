/** `micro run <file|dir>`: runs a service entry and restarts it when a file under its directory changes. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, type FSWatcher, statSync, watch } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fail } from '../mesh.ts';

/** Where a directory's entry may be, in order. */
const ENTRIES = ['src/main.ts', 'main.ts', 'src/index.ts', 'index.ts', 'src/main.js', 'main.js', 'index.js'];
/** Not sources: installed, built or local state, and logs (a service logging beside itself would loop). */
const IGNORED = /(^|[\\/])(node_modules|\.git|\.micromesh|dist)([\\/]|$)|\.log$/;

/** Whether a change to `file` (relative to the watched directory) leaves the service running as it is. */
export const ignoredChange = (file: string): boolean => IGNORED.test(file);
const DEBOUNCE_MS = 200;
const KILL_AFTER_MS = 5000;

function entryOf(target: string): { entry: string; dir: string } {
  const path = resolve(target);
  if (!existsSync(path)) fail(new Error(`${target}: no such file or directory`));
  if (!statSync(path).isDirectory()) return { entry: path, dir: dirname(path) };
  const found = ENTRIES.map((e) => join(path, e)).find((e) => existsSync(e));
  if (found === undefined) fail(new Error(`${target}: no entry found (looked for ${ENTRIES.join(', ')})`));
  return { entry: found, dir: path };
}

/** `--import tsx` when tsx resolves from the working directory; plain node for .js; else a one-line failure. */
function nodeArgs(entry: string): string[] {
  try {
    createRequire(join(process.cwd(), 'noop.js')).resolve('tsx');
    return ['--import', 'tsx', entry];
  } catch {
    if (/\.[cm]?js$/.test(entry)) return [entry];
    fail(new Error(`running ${entry} needs tsx in this project: npm install --save-dev tsx`));
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}

export function addRunCommand(program: Command): void {
  program
    .command('run')
    .argument('<entry>', 'a .ts or .js file, or a project directory (its src/main.ts, main.ts, index.ts …)')
    .description('run a service, restarting it when a file under its directory changes (needs tsx for .ts)')
    .option('--no-watch', 'run once, without restarting on changes')
    .addHelpText('after', '\nExamples:\n  $ micro run src/main.ts\n  $ micro run .            # ./src/main.ts, restarted on every change outside node_modules\n')
    .action((target: string, flags: { watch: boolean }) => {
      const { entry, dir } = entryOf(target);
      const args = nodeArgs(entry);
      let child = spawn(process.execPath, args, { stdio: 'inherit' });
      /** Set while micro itself stops the child for a restart, or for good on a signal: that exit is expected. */
      let stopping = false;
      let quitting = false;
      let timer: NodeJS.Timeout | undefined;
      let watcher: FSWatcher | undefined;
      let queue = Promise.resolve();
      const exitWithChild = (c: ChildProcess) =>
        c.once('exit', (code, signal) => {
          if (stopping || quitting || c !== child) return;
          if (!flags.watch) process.exit(code ?? (signal === null ? 1 : 128));
          process.stderr.write(`micro: ${entry} exited (${signal ?? code}); waiting for a change\n`);
        });
      exitWithChild(child);
      const restart = async () => {
        stopping = true;
        await stopChild(child, 'SIGTERM');
        stopping = false;
        if (quitting) return;
        process.stderr.write(`micro: restarting ${entry}\n`);
        child = spawn(process.execPath, args, { stdio: 'inherit' });
        exitWithChild(child);
      };
      if (flags.watch) {
        watcher = watch(dir, { recursive: true }, (_event, file) => {
          if (file !== null && ignoredChange(file)) return;
          clearTimeout(timer);
          timer = setTimeout(() => (queue = queue.then(restart)), DEBOUNCE_MS);
        });
      }
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          quitting = true;
          watcher?.close();
          clearTimeout(timer);
          // After any restart under way, so no new process outlives micro.
          queue = queue.then(() => stopChild(child, signal)).then(() => process.exit(child.exitCode ?? 0));
        });
      }
    });
}
