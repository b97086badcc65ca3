import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/convergence-node.mjs', import.meta.url));

interface Member {
  index: number;
  child: ChildProcess;
  /** The services it sees, as it last reported, and when (its own clock). */
  names: Set<string>;
  at: number;
  readyAt: number;
  history: Array<{ at: number; names: Set<string> }>;
  /** The registry's admission counters, when it has them. */
  stats?: Record<string, number>;
}

/** N node processes, each serving `<prefix><i>`, on one registry; what each sees, as it reports it. */
export class ConvergenceCluster {
  readonly members: Member[] = [];
  /** Each member's time (ms after `since`) in the last `until`. */
  lastTimes: number[] = [];
  readonly #env: Record<string, string>;
  readonly #prefix: string;

  constructor(env: Record<string, string>, prefix: string) {
    this.#env = env;
    this.#prefix = prefix;
  }

  service(i: number): string {
    return `${this.#prefix}${i}`;
  }

  /** Starts members 0..n-1, `batch` at a time; resolves when all are ready. */
  async start(n: number, batch = 10): Promise<void> {
    for (let i = 0; i < n; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => this.startOne(i + k)));
    }
  }

  startOne(i: number, timeoutMs = 60_000): Promise<Member> {
    // Plain node, not the runner's --import tsx: the fixture is JavaScript on dist/, and tsx's loader thread in each
    // of fifty processes is what the machine has least of.
    const child = fork(FIXTURE, [], {
      execArgv: [],
      env: { ...process.env, ...this.#env, MICRO_NODE_ID: `conv-node-${i}`, CONV_SERVICE: this.service(i), CONV_PREFIX: this.#prefix, MICRO_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', process.env.CONV_DEBUG ? 'inherit' : 'ignore', 'ipc'],
    });
    const member: Member = { index: i, child, names: new Set(), at: 0, readyAt: 0, history: [] };
    this.members[i] = member;
    child.on('message', (m: { type: string; at: number; names?: string[]; stats?: Record<string, number> }) => {
      if (m.type === 'view' && m.names !== undefined) {
        member.stats = m.stats;
        member.names = new Set(m.names);
        member.at = m.at;
        member.history.push({ at: m.at, names: member.names });
      }
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${i} not ready within ${timeoutMs} ms`)), timeoutMs);
      child.on('message', (m: { type: string; at: number }) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        member.readyAt = m.at;
        resolve(member);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node ${i} exited with ${code} before it was ready`));
      });
    });
  }

  /** Kills member i with SIGKILL (no goodbye); resolves with the time it was killed once it exited. */
  async kill(i: number): Promise<number> {
    const { child } = this.members[i];
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const at = Date.now();
    child.kill('SIGKILL');
    await exited;
    return at;
  }

  /**
   * Waits until every live member (but `except`) reports a view that passes `ok`; resolves with the latest time
   * (members' clocks) at which one of them first did so after `since`.
   */
  async until(ok: (names: Set<string>) => boolean, since: number, timeoutMs: number, except?: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => m.index !== except && m.child.exitCode === null && m.child.signalCode === null);
      if (live.every((m) => ok(m.names))) {
        let latest = since;
        this.lastTimes = [];
        for (const m of live) {
          // When it last turned ok: the first ok report after its last report that was not.
          let at = since;
          for (let k = m.history.length - 1; k >= 0 && ok(m.history[k].names); k--) at = m.history[k].at;
          latest = Math.max(latest, at);
          this.lastTimes.push(at - since);
        }
        return latest;
      }
      if (Date.now() > deadline) {
        const lagging = live.filter((m) => !ok(m.names)).map((m) => `${m.index} (sees ${m.names.size}, ${JSON.stringify(m.stats ?? {})})`);
        throw new Error(`not every node converged within ${timeoutMs} ms; lagging: ${lagging.slice(0, 10).join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Asks member `from` to call member `to`'s service; resolves with the id that answered (or the error text). */
  call(from: number, to: number): Promise<string> {
    const { child } = this.members[from];
    return new Promise((resolve) => {
      const onMessage = (m: { type: string; reply: string }) => {
        if (m.type !== 'called') return;
        child.off('message', onMessage);
        resolve(m.reply);
      };
      child.on('message', onMessage);
      child.send({ type: 'call', service: this.service(to) });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (m.child.exitCode !== null || m.child.signalCode !== null) return;
        const exited = new Promise((resolve) => m.child.once('exit', resolve));
        m.child.kill('SIGKILL');
        await exited;
      }),
    );
  }
}
