/**
 * Checks the harness itself: trivial operations whose cost is known to be tiny, so a slow or
 * broken row here means the measuring is wrong, not the code under test.
 */
import type { BenchContext } from '../lib/context.ts';
import { measure, measureSync } from '../lib/measure.ts';

const IMPL = 'harness';

export default async function selftest(ctx: BenchContext): Promise<void> {
  for (const concurrency of [1, 64]) {
    await measure(ctx, { case: 'resolved-promise', impl: IMPL, concurrency, payloadBytes: 0, op: () => Promise.resolve() });
  }
  await measure(ctx, {
    case: 'set-immediate',
    impl: IMPL,
    concurrency: 1,
    payloadBytes: 0,
    op: () => new Promise<void>((resolve) => setImmediate(resolve)),
  });
  const value = { id: 'c-1', name: 'Ana Souza', verified: true };
  let sink = 0;
  await measureSync(ctx, {
    case: 'json-stringify',
    impl: IMPL,
    payloadBytes: JSON.stringify(value).length,
    op: () => {
      sink += JSON.stringify(value).length;
    },
  });
  if (sink === 0) throw new Error('selftest: the synchronous op never ran');
}
