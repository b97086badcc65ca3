/**
 * Durable reminders (`ctx.reminders`), kept in the node's store under table `reminders`: one record per actor path
 * and name, `{ path, name, next, everyMs, payload }` as JSON. A keeper on each node polls the table every `pollMs`;
 * a due reminder whose path has a live actor on this node is claimed by a compare-and-set on its record (advanced to
 * its next time, or marked done) and then told to that actor as a {@link Reminder} message. Nodes that share a store
 * race for the claim and one wins, so each fire reaches one actor. A fire is claimed before it is delivered: a process
 * killed between the two loses that one fire (at most once per scheduled time); one that was down while reminders
 * came due fires each of them once, late, when it is back.
 */
import type { Clock } from '../../actors/clock.ts';
import type { AnyRef, Logger, Reminder, ReminderSpec, Reminders } from '../../actors/index.ts';
import { MicroError } from '../errors.ts';
import { jsonBytes, readJson, type Store, type StoreRecord } from '../store/store.ts';

export interface RemindersOptions {
  /** How often the keeper looks for due reminders: a reminder fires up to this late. @default 1000 */
  pollMs?: number;
  /** The store table reminders are kept in (database of the node's store). @default 'reminders' */
  table?: string;
  /**
   * Epoch ms: the scale of `at`, of stored times and of `scheduledAt`. A test gives its simulated clock's `now`, so
   * that advancing the clock makes reminders come due. @default Date.now
   */
  now?: () => number;
}

export function defaultRemindersOptions() {
  return { pollMs: 1000, table: 'reminders' };
}

/** A reminder as stored. `next` is epoch ms; `done` marks a one-shot reminder already fired. */
interface ReminderRecord {
  path: string;
  name: string;
  next: number;
  everyMs?: number;
  payload?: unknown;
  done?: boolean;
}

export interface NodeRemindersDeps {
  /** The node's store (opened on first use). */
  store(): Store;
  readonly clock: Clock;
  /** The live actor at a path of this node. */
  lookup(path: string): AnyRef | undefined;
  readonly log: Logger;
}

const NAME = /^[\w.:-]{1,128}$/;

export class NodeReminders {
  readonly #deps: NodeRemindersDeps;
  readonly #options: Required<Omit<RemindersOptions, 'now'>>;
  readonly #now: () => number;
  #timer: unknown;
  #running = false;
  #stopped = false;
  /** Fires delivered by this node, for tests and stats. */
  fired = 0;

  constructor(deps: NodeRemindersDeps, options: RemindersOptions = {}) {
    this.#deps = deps;
    const { now, ...rest } = options;
    this.#options = { ...defaultRemindersOptions(), ...rest };
    this.#now = now ?? Date.now;
  }

  #table(): Store {
    return this.#deps.store().scope({ table: this.#options.table });
  }

  /** The reminders of `self`'s path; starts the keeper if it was not running. */
  for(self: AnyRef): Reminders {
    this.start();
    const path = self.path;
    const key = (name: string): string => {
      if (!NAME.test(name)) throw new MicroError('BAD_REQUEST', `reminder name ${JSON.stringify(name)}: 1 to 128 letters, digits, '_', '.', ':' or '-'`);
      return `${path}#${name}`;
    };
    return {
      set: async (name, spec) => {
        const record = this.#plan(path, name, spec);
        await this.#table().write({ key: key(name), value: jsonBytes(record) });
      },
      cancel: (name) => this.#table().delete(key(name)),
      list: async () => (await this.#table().list({ prefix: `${path}#` })).map((k) => k.slice(path.length + 1)),
    };
  }

  #plan(path: string, name: string, spec: ReminderSpec): ReminderRecord {
    const everyMs = spec.everyMs;
    if (everyMs !== undefined && !(Number.isFinite(everyMs) && everyMs >= 1)) throw new MicroError('BAD_REQUEST', `reminder ${name}: everyMs must be a number >= 1`);
    const at = spec.at instanceof Date ? spec.at.getTime() : spec.at;
    if (at === undefined && everyMs === undefined) throw new MicroError('BAD_REQUEST', `reminder ${name}: give at, everyMs or both`);
    if (at !== undefined && !Number.isFinite(at)) throw new MicroError('BAD_REQUEST', `reminder ${name}: at must be a Date or epoch ms`);
    if (spec.payload !== undefined && JSON.stringify(spec.payload) === undefined) throw new MicroError('BAD_REQUEST', `reminder ${name}: the payload must be JSON`);
    return { path, name, next: at ?? this.#now() + (everyMs as number), ...(everyMs === undefined ? {} : { everyMs }), ...(spec.payload === undefined ? {} : { payload: spec.payload }) };
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    this.#arm(0);
  }

  stop(): void {
    this.#stopped = true;
    this.#running = false;
    this.#deps.clock.clearTimeout(this.#timer);
  }

  #arm(ms: number): void {
    this.#timer = this.#deps.clock.setTimeout(() => {
      void this.#tick()
        .catch((err: unknown) => this.#deps.log.warn({ err }, 'reminders: poll failed; trying again'))
        .finally(() => {
          if (this.#running) this.#arm(this.#options.pollMs);
        });
    }, ms);
  }

  /** One poll: claims and delivers every due reminder whose actor lives here. */
  async #tick(): Promise<void> {
    const table = this.#table();
    const now = this.#now();
    for (const record of await table.read({ prefix: '' })) {
      let r: ReminderRecord;
      try {
        r = readJson<ReminderRecord>(record);
      } catch {
        continue; // not a reminder this node wrote: left alone
      }
      if (r.done === true || r.next > now) continue;
      const target = this.#deps.lookup(r.path);
      if (target === undefined) continue;
      if (await this.#claim(table, record, r, now)) this.#deliver(target, r);
    }
  }

  async #claim(table: Store, record: StoreRecord, r: ReminderRecord, now: number): Promise<boolean> {
    const after: ReminderRecord = r.everyMs === undefined ? { ...r, done: true } : { ...r, next: nextAfter(r.next, r.everyMs, now) };
    try {
      await table.write({ key: record.key, value: jsonBytes(after) }, { ifRevision: record.revision });
    } catch (err) {
      if (err instanceof MicroError && err.reason === 'CONFLICT') return false; // another node claimed it
      throw err;
    }
    if (after.done === true) await table.delete(record.key).catch(() => {});
    return true;
  }

  #deliver(target: AnyRef, r: ReminderRecord): void {
    const message: Reminder = { type: 'reminder', name: r.name, payload: r.payload, scheduledAt: r.next };
    this.fired++;
    target.tell(message);
  }
}

/** The first time after `now` on the grid `next + k·everyMs`: missed periods fire once, not once each. */
function nextAfter(next: number, everyMs: number, now: number): number {
  return next + (Math.floor((now - next) / everyMs) + 1) * everyMs;
}
