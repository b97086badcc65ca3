import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineAvailable, reachable, untilListening } from './engines.ts';

const ETCD = '/usr/bin/etcd';
export const ETCD_PORT = 2379;

let starting: Promise<void> | undefined;

/**
 * Whether etcd answers on 127.0.0.1:2379 for integration tests. When it is down and etcd-server is installed, it
 * is started (as .ci/run does) with a temporary data directory and left running like the other services; several
 * test files racing to start it are fine, the losers find the port taken and wait for it.
 */
export async function etcdAvailable(): Promise<boolean> {
  if (!(await reachable(ETCD_PORT)) && existsSync(ETCD)) {
    starting ??= startEtcd();
    await starting;
  }
  return engineAvailable('etcd', ETCD_PORT);
}

async function startEtcd(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-etcd-'));
  const peer = 'http://127.0.0.1:2380';
  const child = spawn(
    ETCD,
    ['--name', 'micromesh-test', '--data-dir', dir, '--listen-client-urls', 'http://127.0.0.1:2379', '--advertise-client-urls', 'http://127.0.0.1:2379', '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `micromesh-test=${peer}`, '--log-level', 'error'],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  // Not started in time: etcdAvailable then reports it unreachable.
  await untilListening(ETCD_PORT, 'etcd').catch(() => {});
}
