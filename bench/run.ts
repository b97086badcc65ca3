/**
 * `npm run bench -- <suite> [--duration ms] [--warmup ms]` runs bench/suites/<suite>.ts, prints its
 * rows and the micromesh-to-peer ratios, and writes bench/results/<suite>.json. A suite may export
 * `compare` (see {@link CompareCases}) to have some of its cases compared with another case's rows.
 * `npm run bench` alone lists the suites.
 */
import { readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchContext, createBenchContext } from './lib/context.ts';
import { ensurePeerDeps } from './lib/peer-deps.ts';
import { type CompareCases, formatRatios, formatTable, toResults, writeResults } from './lib/report.ts';

interface Suite {
  run: (ctx: BenchContext) => Promise<void>;
  compare: CompareCases;
}

const SUITES_DIR = fileURLToPath(new URL('./suites/', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const USAGE = 'usage: npm run bench -- <suite> [--duration ms] [--warmup ms]';

async function listSuites(): Promise<string[]> {
  const files = await readdir(SUITES_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

function positiveMs(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`--${flag} wants a positive number of milliseconds, got "${value}"`);
  return ms;
}

async function loadSuite(name: string): Promise<Suite> {
  const mod = (await import(pathToFileURL(`${SUITES_DIR}${name}.ts`).href)) as { default?: unknown; compare?: unknown };
  if (typeof mod.default !== 'function') throw new Error(`bench/suites/${name}.ts has no default export function`);
  const compare = mod.compare ?? {};
  if (typeof compare !== 'object' || compare === null || Object.values(compare).some((c) => typeof c !== 'string')) {
    throw new Error(`bench/suites/${name}.ts exports a \`compare\` that is not an object of case names`);
  }
  return { run: mod.default as Suite['run'], compare: compare as CompareCases };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { duration: { type: 'string' }, warmup: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const suites = await listSuites();
  const name = positionals[0];
  if (values.help || name === undefined) {
    console.log(`${USAGE}\n\nsuites:\n${suites.map((s) => `  ${s}`).join('\n') || '  (none)'}`);
    return 0;
  }
  if (!suites.includes(name)) {
    console.error(`unknown suite "${name}"; suites: ${suites.join(', ') || '(none)'}\n${USAGE}`);
    return 1;
  }
  const durationOverrideMs = positiveMs('duration', values.duration);
  const warmupMs = positiveMs('warmup', values.warmup);
  const log = (line: string): void => console.log(line);
  const ctx = createBenchContext(name, {
    durationOverrideMs,
    ...(warmupMs === undefined ? {} : { warmupMs }),
    log,
    ensurePeerDeps: () => ensurePeerDeps(log),
  });
  log(
    `suite ${name}: node ${process.version}, ${availableParallelism()} cpus, ` +
      `${durationOverrideMs === undefined ? 'per-case durations' : `${durationOverrideMs} ms per case`}, warm-up ${ctx.warmupMs} ms`,
  );

  const suite = await loadSuite(name);
  let failure: unknown;
  try {
    await suite.run(ctx);
  } catch (err) {
    failure = err;
  }
  if (ctx.rows.length > 0) log(`\n${formatTable(ctx.rows)}\n\n${formatRatios(ctx.rows, { compare: suite.compare }).join('\n')}`);
  if (failure !== undefined) {
    console.error(`\nsuite ${name} failed; results not written:`, failure);
    return 1;
  }
  const file = `${RESULTS_DIR}${name}.json`;
  await writeResults(file, toResults(name, ctx.rows));
  log(`\nwrote bench/results/${name}.json`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
