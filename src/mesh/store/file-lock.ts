/**
 * One owner per log: `<log>.lock` holds the owner's pid, created exclusively. A lock whose process is gone (a crash)
 * is taken over; a live owner, this process included, makes the open fail, since two appenders would interleave.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { MicroError } from '../errors.ts';

export interface FileLock {
  release(): Promise<void>;
}

export async function lockFile(path: string): Promise<FileLock> {
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
      const who = pid === process.pid ? 'another store in this process' : `process ${pid}`;
      throw new MicroError('UNAVAILABLE', `file store log ${path.replace(/\.lock$/, '')} is in use by ${who}; give each store its own directory`);
    }
    await rm(path, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
