/** Presentation of a suite's rows: the results file, the table, and micromesh-to-peer ratios. */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { BenchRow } from './context.ts';

/** The content of bench/results/<suite>.json (DESIGN §7). */
export interface BenchResults {
  suite: string;
  /** `process.version` of the run. */
  node: string;
  cpus: number;
  /** ISO 8601 time the run finished. */
  date: string;
  rows: BenchRow[];
}

/** The implementation every other one is compared against. */
export const BASELINE_IMPL = 'micromesh';

export function toResults(suite: string, rows: readonly BenchRow[], date = new Date()): BenchResults {
  return { suite, node: process.version, cpus: availableParallelism(), date: date.toISOString(), rows: [...rows] };
}

export async function writeResults(file: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
}

const COLUMNS = ['case', 'impl', 'conc', 'bytes', 'ops/s', 'p50 µs', 'p99 µs'] as const;

function cells(row: BenchRow): string[] {
  return [
    row.case,
    row.impl,
    String(row.concurrency),
    String(row.payloadBytes),
    row.opsPerSec.toLocaleString('en-US'),
    row.p50us.toFixed(1),
    row.p99us.toFixed(1),
  ];
}

/** A fixed-width table, text columns left-aligned and numbers right-aligned. */
export function formatTable(rows: readonly BenchRow[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...body.map((r) => r[i].length)));
  const line = (r: readonly string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function samePoint(a: BenchRow, b: BenchRow): boolean {
  return a.concurrency === b.concurrency && a.payloadBytes === b.payloadBytes;
}

function ratio(ours: number, theirs: number): string {
  return theirs > 0 ? `${(ours / theirs).toFixed(2)}x` : 'n/a';
}

/**
 * Cases compared with the rows of another case as well as their own, as `{ case: otherCase }`: with
 * `{ 'echo-mw': 'echo' }`, each micromesh `echo-mw` row is also compared with every `echo` row
 * (the peers' and micromesh's own) of the same concurrency and payload. A suite declares it by
 * exporting it as `compare`.
 */
export type CompareCases = Readonly<Record<string, string>>;

export interface RatioOptions {
  /** @default BASELINE_IMPL */
  baseline?: string;
  /** @default {} */
  compare?: CompareCases;
}

/**
 * One line per (micromesh row, peer row) of the same case, concurrency and payload:
 * throughput ratio (above 1 means micromesh is faster) and latency ratios (below 1 means faster).
 * A case listed in `compare` also gets a line per row of the case it names, that case written
 * after the peer's name (`echo-mw c=1 100B  micromesh/raw-tcp echo: ...`).
 */
export function formatRatios(rows: readonly BenchRow[], options: RatioOptions = {}): string[] {
  const baseline = options.baseline ?? BASELINE_IMPL;
  const compare = options.compare ?? {};
  const ours = rows.filter((r) => r.impl === baseline);
  if (ours.length === 0) return [`no ${baseline} rows in this run: no ratios`];
  const lines: string[] = [];
  const line = (row: BenchRow, other: BenchRow, label: string): void => {
    lines.push(
      `${row.case} c=${row.concurrency} ${row.payloadBytes}B  ${baseline}/${label}:` +
        `  ops ${ratio(row.opsPerSec, other.opsPerSec)}  p50 ${ratio(row.p50us, other.p50us)}  p99 ${ratio(row.p99us, other.p99us)}`,
    );
  };
  for (const row of ours) {
    for (const peer of rows) {
      if (peer.impl !== baseline && peer.case === row.case && samePoint(row, peer)) line(row, peer, peer.impl);
    }
    const against = Object.hasOwn(compare, row.case) ? compare[row.case] : undefined;
    if (against === undefined || against === row.case) continue;
    for (const other of rows) {
      if (other.case === against && samePoint(row, other)) line(row, other, `${other.impl} ${other.case}`);
    }
  }
  if (lines.length === 0) lines.push(`no peer rows match the ${baseline} rows: no ratios`);
  return lines;
}
