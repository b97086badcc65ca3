import assert from 'node:assert/strict';
import type { ClientStream } from '../../src/mesh/client/client-stream.ts';
import { defineService } from '../../src/mesh/service.ts';

/** A stream service that sends 2000 messages of 10 KB as fast as credit allows, counting what it sent. */
export function firehose() {
  let produced = 0;
  const service = defineService({
    name: 'firehose',
    endpoints: {
      'Fire.Hose': {
        stream: async (s) => {
          const payload = 'x'.repeat(10_000);
          for (let i = 0; i < 2000; i++) {
            await s.send({ i, payload });
            produced++;
          }
        },
      },
    },
  });
  return { service, produced: () => produced };
}

/**
 * Reads `count` messages of a firehose stream slowly (a pause every 50), checking the producer never runs more than
 * the credit window (32) ahead; then cancels the stream.
 */
export async function consumeSlowly(s: ClientStream<unknown, { i: number }>, produced: () => number, count: number, pauseMs: number): Promise<void> {
  let consumed = 0;
  for await (const m of s) {
    assert.equal(m.i, consumed);
    consumed++;
    if (consumed % 50 === 0) {
      await new Promise((r) => setTimeout(r, pauseMs));
      assert.ok(produced() - consumed <= 32 + 1, `producer ran ${produced() - consumed} messages ahead of the consumer`);
    }
    if (consumed === count) break;
  }
  s.cancel();
}
