/**
 * The actor kernel in one process, against peers measured in the same run.
 *
 * - `tell`: messages handled per second by one actor, in bursts of {@link TELL_BATCH} (awaiting the
 *   last). Peers: `bare-queue` (a reused array filled, then drained on a microtask: the ceiling) and
 *   `xstate` (a v5 actor whose one state counts on an action). Same handler, same message object for
 *   all three; they take turns in rounds (bench/lib/batches.ts); p50/p99 are µs per message.
 * - `ask`: echo round trips at concurrency 1 and 256. Peer: `bare-promise`, a promise resolved on a
 *   microtask, the ceiling.
 * - `spawn`: plain-function actors spawned under one parent, in bursts of {@link SPAWN_BATCH}, timed until
 *   the last has started (it answers an ask); opsPerSec is actors/s, p50/p99 µs per actor.
 * - `spawn-heap-bytes`: heap bytes per idle actor (heapUsed after a full GC, before and after spawning
 *   {@link SPAWN_BATCH} children, median of 3 runs) measured in a child process started with --expose-gc.
 *   Its `opsPerSec` column holds the bytes per actor, not a rate; p50us and p99us are 0.
 * - `restart`: latency from the tell of a message that makes the actor throw until an ask queued after
 *   it is answered by the fresh incarnation, under the default one_for_one strategy.
 */
import { spawn as spawnProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createActor, createMachine } from 'xstate';
import { type ActorContext, type ActorRef, type AnyRef, createActorSystem } from '../../src/index.ts';
import { measureBatches } from '../lib/batches.ts';
import type { BenchContext } from '../lib/context.ts';
import { measure } from '../lib/measure.ts';

const IMPL = 'micromesh';
export const TELL_BATCH = 100_000;
export const SPAWN_BATCH = 100_000;
export const ASK_CONCURRENCY = [1, 256] as const;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEAP_PROBE = fileURLToPath(new URL('../lib/actor-heap-probe.ts', import.meta.url));

type Inc = { type: 'inc' };
const INC: Inc = { type: 'inc' };

// The one handler every tell implementation calls: counts and wakes the batch at its last message.
const tally = { handled: 0, target: 0, done: (): void => {} };
function handle(_msg: Inc): void {
  if (++tally.handled === tally.target) tally.done();
}
function expectBatch(): Promise<void> {
  tally.handled = 0;
  tally.target = TELL_BATCH;
  return new Promise((resolve) => {
    tally.done = resolve;
  });
}

async function tellCase(ctx: BenchContext): Promise<void> {
  const system = createActorSystem();
  const ref = system.spawn<Inc>((msg) => handle(msg), { mailbox: { capacity: TELL_BATCH } });

  // The array is reused and never shrunk: push() onto an emptied array regrows its storage every
  // batch (about 12 ms per 100k here), which would make the ceiling slower than the kernel.
  const queue: Inc[] = [];
  let tail = 0;
  const drain = (): void => {
    for (let i = 0; i < tail; i++) handle(queue[i]);
    tail = 0;
  };

  const machine = createMachine({
    types: {} as { events: Inc },
    initial: 'counting',
    states: { counting: { on: { inc: { actions: ({ event }) => handle(event) } } } },
  });
  const xactor = createActor(machine).start();

  try {
    await measureBatches(ctx, {
      case: 'tell',
      payloadBytes: 0,
      batchSize: TELL_BATCH,
      impls: [
        {
          name: IMPL,
          batch: () => {
            const done = expectBatch();
            for (let i = 0; i < TELL_BATCH; i++) if (ref.tell(INC) !== true) throw new Error('a tell was refused');
            return done;
          },
        },
        {
          name: 'bare-queue',
          batch: () => {
            const done = expectBatch();
            for (let i = 0; i < TELL_BATCH; i++) queue[tail++] = INC;
            queueMicrotask(drain);
            return done;
          },
        },
        {
          name: 'xstate',
          batch: () => {
            const done = expectBatch();
            for (let i = 0; i < TELL_BATCH; i++) xactor.send(INC);
            return done;
          },
        },
      ],
    });
  } finally {
    xactor.stop();
    await system.terminate();
  }
}

async function askCase(ctx: BenchContext): Promise<void> {
  const system = createActorSystem();
  const echo = system.spawn<unknown>((msg, actx) => actx.reply(msg));
  const body = { type: 'echo', n: 1 };
  const options = { timeoutMs: 30_000 };
  const barePromise = (): Promise<unknown> =>
    new Promise((resolve) => {
      queueMicrotask(() => resolve(body));
    });
  if ((await echo.ask(body, options)) !== body) throw new Error('the echo actor did not return the message');
  try {
    for (const concurrency of ASK_CONCURRENCY) {
      await measure(ctx, { case: 'ask', impl: IMPL, concurrency, payloadBytes: 0, op: () => echo.ask(body, options) });
      await measure(ctx, { case: 'ask', impl: 'bare-promise', concurrency, payloadBytes: 0, op: barePromise });
    }
  } finally {
    await system.terminate();
  }
}

type ParentMsg = { type: 'spawn'; n: number };
const PING = 'ping';

function idle(msg: unknown, actx: ActorContext<unknown>): void {
  if (msg === PING) actx.reply(true);
}

function spawner(msg: ParentMsg, actx: ActorContext<ParentMsg>): void {
  let last: AnyRef | undefined;
  for (let i = 0; i < msg.n; i++) last = actx.spawn(idle);
  actx.reply(last);
}

async function spawnCase(ctx: BenchContext): Promise<void> {
  const system = createActorSystem();
  let parent: ActorRef<ParentMsg> = system.spawn(spawner);
  const options = { timeoutMs: 60_000 };
  try {
    await measureBatches(ctx, {
      case: 'spawn',
      payloadBytes: 0,
      batchSize: SPAWN_BATCH,
      rounds: 1,
      impls: [
        {
          name: IMPL,
          batch: async () => {
            const last = (await parent.ask({ type: 'spawn', n: SPAWN_BATCH }, options)) as AnyRef;
            await last.ask(PING, options);
          },
          after: async () => {
            await system.stop(parent);
            parent = system.spawn(spawner);
          },
        },
      ],
    });
  } finally {
    await system.terminate();
  }
  const heap = await probeHeap();
  ctx.log(`  spawn heap: ${heap.bytesPerActor} B per idle actor (runs: ${heap.runs.join(', ')})`);
  ctx.record({ case: 'spawn-heap-bytes', impl: IMPL, concurrency: 1, payloadBytes: 0, opsPerSec: heap.bytesPerActor, p50us: 0, p99us: 0 });
}

function probeHeap(): Promise<{ bytesPerActor: number; runs: number[] }> {
  const child = spawnProcess(process.execPath, ['--expose-gc', '--import', 'tsx', HEAP_PROBE, String(SPAWN_BATCH), '3'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err = (err + s).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`heap probe exited (code ${code}, signal ${signal}): ${err.trim()}`));
      try {
        resolve(JSON.parse(line) as { bytesPerActor: number; runs: number[] });
      } catch (cause) {
        reject(new Error(`heap probe printed no result: ${line}`, { cause }));
      }
    });
  });
}

type Crashy = 'crash' | 'ping';

async function restartCase(ctx: BenchContext): Promise<void> {
  const system = createActorSystem({ strategy: { maxRestarts: 1_000_000, withinMs: 1000 } });
  const ref = system.spawn<Crashy>((msg, actx) => {
    if (msg === 'crash') throw new Error('crash on purpose');
    actx.reply(actx.incarnation);
  });
  const options = { timeoutMs: 5000 };
  let incarnation = (await ref.ask('ping', options)) as number;
  try {
    await measure(ctx, {
      case: 'restart',
      impl: IMPL,
      concurrency: 1,
      payloadBytes: 0,
      op: async () => {
        ref.tell('crash');
        const next = (await ref.ask('ping', options)) as number;
        if (next <= incarnation) throw new Error(`answered by incarnation ${next}, not a fresh one after ${incarnation}`);
        incarnation = next;
      },
    });
  } finally {
    await system.terminate();
  }
}

export default async function actors(ctx: BenchContext): Promise<void> {
  ctx.log('tell');
  await tellCase(ctx);
  ctx.log('ask');
  await askCase(ctx);
  ctx.log('spawn');
  await spawnCase(ctx);
  ctx.log('restart');
  await restartCase(ctx);
}
