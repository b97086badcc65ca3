import { createNode, MicroError } from 'micromesh';

// One candidate: campaigns for leadership of "report-job" on Redis (MICRO_SYNC, default redis://127.0.0.1:6379) and,
// while it leads, runs the job every 300 ms with a fenced write to the shared store, so a leader that lost its lease
// can never overwrite its successor's work.
const id = process.env.CANDIDATE ?? 'candidate';
const redis = process.env.MICRO_SYNC ?? 'redis://127.0.0.1:6379';
const node = await createNode({ id, registry: 'memory', transport: 'memory', address: `mem://${id}`, sync: redis, store: process.env.MICRO_STORE ?? `${redis}?prefix=leader-example` }).catch((err: unknown) => {
  console.error(`${id}: ${String(err)}`);
  process.exit(1);
});
console.log(`${id} campaigning`);
const leader = await node.sync.elect('report-job', { ttlMs: 1500 });
console.log(`${id} leads with fencing token ${leader.token}`);
leader.onLost(() => console.log(`${id} lost leadership`));
const run = async (): Promise<void> => {
  if (leader.lost) return;
  try {
    const record = await node.store.write({ key: 'report', value: `made by ${id}` }, { fencingToken: leader.token });
    console.log(`${id} ran the job (token ${leader.token}, revision ${record.revision})`);
  } catch (err) {
    console.log(`${id} was refused: ${err instanceof MicroError ? err.detail : String(err)}`);
  }
  setTimeout(() => void run(), 300);
};
void run();
process.on('SIGTERM', () => void leader.resign().finally(() => node.stop().then(() => process.exit(0))));
