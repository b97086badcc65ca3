/**
 * Readiness: the node's own conditions (registered, registry and transport up, not draining) and checks users add
 * (a database ping…). A critical check that fails makes the node not ready; a non-critical one is only reported.
 */
import { type Clock, systemClock } from '../../actors/clock.ts';

/** A check passes unless it throws, rejects or returns false. */
export type HealthCheckFn = () => boolean | undefined | void | Promise<boolean | undefined | void>;

export interface HealthCheckOptions {
  /** A failing critical check makes the node not ready. @default true */
  critical?: boolean;
  /** A check slower than this fails. @default 2000 */
  timeoutMs?: number;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly critical: boolean;
  readonly error?: string;
}

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** The health checks of a node: `node.health`. */
export interface HealthChecks {
  /**
   * Adds a readiness check; returns a function that removes it.
   * @example
   * node.health.addCheck('db', async () => { await pool.query('select 1'); }, { critical: true });
   */
  addCheck(name: string, check: HealthCheckFn, options?: HealthCheckOptions): () => void;
  /** Runs every check (the node's own first) and says whether the node is ready. */
  readiness(): Promise<Readiness>;
}

interface Entry {
  readonly check: HealthCheckFn;
  readonly critical: boolean;
  readonly timeoutMs: number;
}

/** A check's outcome; one with no answer within its timeout (on `clock`) fails, whatever it does later. */
async function run(entry: Entry, clock: Clock): Promise<CheckResult> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`no answer within ${entry.timeoutMs} ms`)), entry.timeoutMs);
  });
  try {
    const out = await Promise.race([Promise.resolve().then(entry.check), timeout]);
    return out === false ? { ok: false, critical: entry.critical, error: 'check returned false' } : { ok: true, critical: entry.critical };
  } catch (err) {
    return { ok: false, critical: entry.critical, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clock.clearTimeout(timer);
  }
}

/**
 * Health checks starting with `builtin` (critical, checked in order, each a synchronous condition with its failure
 * text). Check timeouts run on `clock` (the node's), so a test can advance it past a hung check.
 */
export function createHealthChecks(builtin: Readonly<Record<string, () => string | undefined>>, clock: Clock = systemClock): HealthChecks {
  const checks = new Map<string, Entry>();
  return {
    addCheck(name, check, options = {}) {
      if (name in builtin || checks.has(name)) throw new TypeError(`health check ${name} exists already`);
      const entry: Entry = { check, critical: options.critical ?? true, timeoutMs: options.timeoutMs ?? 2000 };
      checks.set(name, entry);
      return () => {
        if (checks.get(name) === entry) checks.delete(name);
      };
    },
    async readiness() {
      const results: Record<string, CheckResult> = {};
      for (const [name, condition] of Object.entries(builtin)) {
        const error = condition();
        results[name] = error === undefined ? { ok: true, critical: true } : { ok: false, critical: true, error };
      }
      const user = [...checks.entries()];
      const outcomes = await Promise.all(user.map(([, entry]) => run(entry, clock)));
      user.forEach(([name], i) => {
        results[name] = outcomes[i] as CheckResult;
      });
      const ready = Object.values(results).every((r) => r.ok || !r.critical);
      return { ready, checks: results };
    },
  };
}
