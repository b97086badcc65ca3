/**
 * Peers (Moleculer, ...) are dependencies of bench/peers' own package, never of micromesh. They are
 * installed from bench/peers/package-lock.json on first use.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));
// npm writes this file last, so an interrupted install does not count as installed.
const INSTALLED_MARKER = `${PEERS_DIR}node_modules/.package-lock.json`;

export function peerDepsInstalled(): boolean {
  return existsSync(INSTALLED_MARKER);
}

/** Runs `npm ci --prefix bench/peers` when bench/peers dependencies are missing; rejects if npm fails. */
export async function ensurePeerDeps(log: (line: string) => void): Promise<void> {
  if (peerDepsInstalled()) return;
  log('bench/peers/node_modules is missing: installing the peers once with `npm ci --prefix bench/peers` ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(npm, ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0 || !peerDepsInstalled()) {
    throw new Error(`npm ci --prefix bench/peers failed (exit code ${code}); run it by hand to see why`);
  }
  log('bench/peers dependencies installed.');
}
