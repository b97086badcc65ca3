import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { spawnTsx } from '../../../bench/lib/child-process.ts';

const fixture = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

describe('bench child processes', () => {
  it('spawnTsx — resolves with the announced port; stop() ends the child', async () => {
    const child = await spawnTsx(fixture('ready-server.ts'));
    try {
      assert.ok(child.port > 0);
      assert.equal(await greeting(child.port), 'hi');
      assert.ok(alive(child.pid));
    } finally {
      await child.stop();
    }
    assert.equal(alive(child.pid), false);
    await child.stop();
  });

  it('spawnTsx — a child that exits before ready rejects with its exit code and stderr', async () => {
    await assert.rejects(spawnTsx(fixture('exit-early.ts')), (err: Error) => {
      assert.match(err.message, /exited \(code 3/);
      assert.match(err.message, /config missing/);
      return true;
    });
  });

  it('spawnTsx — a child not ready in time is killed and the call rejects', async () => {
    let message = '';
    await assert.rejects(spawnTsx(fixture('never-ready.ts'), { readyTimeoutMs: 3000 }), (err: Error) => {
      message = err.message;
      return /not ready within 3000 ms/.test(err.message);
    });
    const pid = Number(/never-ready pid (\d+)/.exec(message)?.[1]);
    assert.ok(pid > 0, `the child's pid is in the error: ${message}`);
    assert.equal(alive(pid), false);
  });
});
