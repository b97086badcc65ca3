import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('examples — pubsub: a queue group splits the orders, broadcast reaches both workers, the poison order is dead-lettered', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/pubsub/main.ts'], { timeout: 90_000 });
  const billed = [...stdout.matchAll(/^\[(worker-[ab])\] billed order (\d+)/gm)].map((m) => ({ worker: m[1], order: Number(m[2]) }));
  assert.deepEqual(
    billed.map((b) => b.order).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6],
    'each order billed exactly once',
  );
  assert.deepEqual([...new Set(billed.map((b) => b.worker))].sort(), ['worker-a', 'worker-b'], 'both workers billed');
  for (const w of ['worker-a', 'worker-b']) {
    assert.match(stdout, new RegExp(`^\\[${w}\\] audit orders\\.cancelled 3 from micromesh://pubsub-publisher$`, 'm'));
    assert.equal([...stdout.matchAll(new RegExp(`^\\[${w}\\] audit orders\\.created`, 'gm'))].length, 7, `${w} audited every created order`);
  }
  assert.match(stdout, /^dead letter: orders\.created order 7, handler failed after 2 tries: order 7 has a negative total \(try 2\)$/m);
  assert.match(stdout, /pubsub example finished/);
});
