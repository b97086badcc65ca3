import type { Clock } from '../../actors/clock.ts';

// Runs admission probes for records claimed on the network. The network decides how many records arrive, so every
// part is bounded: a few probes at a time, a queue past which requests are refused, and a cache of answers (yes
// and no) per (node id, address) that evicts its oldest entry when full. A probe that does not settle in time, or
// fails, counts as a no, trusted only as long as a probe may take: on a loaded host a real node can be slow to
// answer, and it should not stay out of its peers' view for the whole `rejectedMs`.

/** The node a record claims, as an admission probe is asked about it. */
export interface AdmitCandidate {
  id: string;
  address: string;
  /** The service the record was for; one probe answers for every service of a node at that address. */
  service: string;
  /** The address the registry holds for this node id now, when the record conflicts with it. */
  known?: string;
}

/**
 * Decides whether a node claimed on the network is real: resolves true when `address` answers as node `id`.
 * The mesh node supplies one that dials the address and checks the node id of the peer's HELLO.
 */
export type AdmitProbe = (node: AdmitCandidate) => Promise<boolean>;

export interface ProbeQueueOptions {
  probe: AdmitProbe;
  clock: Clock;
  /** Probes running at once. */
  concurrency: number;
  /** Probes waiting for a slot; more are refused. */
  queue: number;
  /** Answers kept. */
  cacheSize: number;
  /** How long a yes is trusted. */
  admittedMs: number;
  /** How long a no is trusted. */
  rejectedMs: number;
  /** A probe not settled by then is a no. */
  timeoutMs: number;
  /** Called with each probe's answer, after it is cached. */
  onResult(node: AdmitCandidate, ok: boolean): void;
  /** Called when a probe throws or rejects (the answer is then no). */
  onError(node: AdmitCandidate, err: unknown): void;
}

interface Answer {
  ok: boolean;
  until: number;
}

export const probeKey = (id: string, address: string): string => `${id}\u0000${address}`;

export class ProbeQueue {
  readonly #o: ProbeQueueOptions;
  readonly #queue: AdmitCandidate[] = [];
  /** Keys queued or running, so one (id, address) is probed once at a time. */
  readonly #inFlight = new Set<string>();
  readonly #cache = new Map<string, Answer>();
  #running = 0;
  #started = 0;
  #closed = false;

  constructor(options: ProbeQueueOptions) {
    this.#o = options;
  }

  /** The cached answer for a node at an address, if one is still trusted. */
  cached(id: string, address: string): boolean | undefined {
    const key = probeKey(id, address);
    const answer = this.#cache.get(key);
    if (answer === undefined) return undefined;
    if (answer.until <= this.#o.clock.now()) {
      this.#cache.delete(key);
      return undefined;
    }
    return answer.ok;
  }

  /** Drops a cached answer: that address no longer speaks for that node. */
  forget(id: string, address: string): void {
    this.#cache.delete(probeKey(id, address));
  }

  /** Asks for a probe; true when it is queued or running (also when it already was), false when the queue is full. */
  request(node: AdmitCandidate): boolean {
    if (this.#closed) return false;
    const key = probeKey(node.id, node.address);
    if (this.#inFlight.has(key)) return true;
    if (this.#running >= this.#o.concurrency && this.#queue.length >= this.#o.queue) return false;
    this.#inFlight.add(key);
    this.#queue.push(node);
    this.#pump();
    return true;
  }

  /** Probes queued or running. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** Probes started so far. */
  get started(): number {
    return this.#started;
  }

  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Forgets the queue; probes still running finish, and their answers are ignored. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#inFlight.clear();
    this.#cache.clear();
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.#o.concurrency && this.#queue.length > 0) {
      void this.#run(this.#queue.shift() as AdmitCandidate);
    }
  }

  async #run(node: AdmitCandidate): Promise<void> {
    this.#running++;
    this.#started++;
    const { clock, timeoutMs } = this.#o;
    let timer: unknown;
    let ok = false;
    let settled = false;
    try {
      ok = await new Promise<boolean>((resolve, reject) => {
        timer = clock.setTimeout(() => resolve(false), timeoutMs);
        Promise.resolve()
          .then(() => this.#o.probe({ ...node }))
          .then((answer) => {
            settled = true;
            resolve(answer === true);
          }, reject);
      });
    } catch (err) {
      if (!this.#closed) this.#o.onError(node, err);
    } finally {
      clock.clearTimeout(timer);
      this.#running--;
    }
    if (this.#closed) return;
    const key = probeKey(node.id, node.address);
    this.#inFlight.delete(key);
    this.#cache.delete(key);
    const trustMs = ok ? this.#o.admittedMs : settled ? this.#o.rejectedMs : Math.min(this.#o.rejectedMs, timeoutMs);
    this.#cache.set(key, { ok, until: clock.now() + trustMs });
    if (this.#cache.size > this.#o.cacheSize) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#o.onResult(node, ok);
    this.#pump();
  }
}
