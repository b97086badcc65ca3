/**
 * Heap bytes per idle actor, run by bench/suites/actors.ts as
 * `node --expose-gc --import tsx bench/lib/actor-heap-probe.ts <count> <runs>`: a parent spawns
 * `count` plain-function children, and the heap after a full GC is compared with the heap before.
 * Prints one JSON line `{ "bytesPerActor": median, "runs": [...] }` and exits.
 */
import { type ActorContext, type AnyRef, createActorSystem } from '../../src/index.ts';

type ParentMsg = { type: 'spawn'; n: number };

const PING = 'ping';

function idle(msg: unknown, ctx: ActorContext<unknown>): void {
  if (msg === PING) ctx.reply(true);
}

function parent(msg: ParentMsg, ctx: ActorContext<ParentMsg>): void {
  let last: AnyRef | undefined;
  for (let i = 0; i < msg.n; i++) last = ctx.spawn(idle);
  ctx.reply(last);
}

function fullGc(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const count = Number(process.argv[2] ?? 100_000);
  const runs = Number(process.argv[3] ?? 3);
  const system = createActorSystem();
  const perActor: number[] = [];
  for (let r = 0; r < runs; r++) {
    const p = system.spawn(parent, { name: `heap-${r}` });
    // The parent itself exists before the first sample: only the children are counted.
    await p.ask({ type: 'spawn', n: 0 }, { timeoutMs: 30_000 });
    const before = fullGc(gc);
    const last = (await p.ask({ type: 'spawn', n: count }, { timeoutMs: 60_000 })) as AnyRef;
    // Children start in spawn order, so once the last answers every one of them is running and idle.
    await last.ask(PING, { timeoutMs: 60_000 });
    const after = fullGc(gc);
    perActor.push((after - before) / count);
    await system.stop(p);
  }
  await system.terminate();
  const sorted = [...perActor].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  process.stdout.write(`${JSON.stringify({ bytesPerActor: Math.round(median), runs: perActor.map(Math.round) })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
