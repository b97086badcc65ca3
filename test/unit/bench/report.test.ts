import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchRow } from '../../../bench/lib/context.ts';
import { formatRatios, formatTable, toResults } from '../../../bench/lib/report.ts';

function row(impl: string, opsPerSec: number, concurrency = 1, p50us = 10, kase = 'echo'): BenchRow {
  return { case: kase, impl, concurrency, payloadBytes: 100, opsPerSec, p50us, p99us: p50us * 2 };
}

describe('bench report', () => {
  it('toResults — carries suite, node, cpus, ISO date and rows', () => {
    const rows = [row('raw-tcp', 100)];
    const results = toResults('rpc', rows, new Date(0));
    assert.deepEqual(Object.keys(results).sort(), ['cpus', 'date', 'node', 'rows', 'suite']);
    assert.equal(results.suite, 'rpc');
    assert.equal(results.node, process.version);
    assert.ok(results.cpus >= 1);
    assert.equal(results.date, '1970-01-01T00:00:00.000Z');
    assert.deepEqual(results.rows, rows);
  });

  it('formatTable — one header, one rule and one line per row, columns aligned', () => {
    const lines = formatTable([row('raw-tcp', 123_456), row('moleculer', 7)]).split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[2], /^echo\s+raw-tcp\s+1\s+100\s+123,456\s+10\.0\s+20\.0$/);
    const opsEnd = lines[0].indexOf('ops/s') + 'ops/s'.length;
    assert.equal(lines[2].indexOf('123,456') + '123,456'.length, opsEnd);
    assert.equal(lines[3].indexOf(' 7 ') + 2, opsEnd);
  });

  it('formatRatios — compares micromesh with each peer of the same case, concurrency and payload only', () => {
    const lines = formatRatios([row('micromesh', 80, 1, 5), row('raw-tcp', 100, 1, 10), row('moleculer', 40, 1, 20), row('raw-tcp', 1, 64)]);
    assert.deepEqual(lines, [
      'echo c=1 100B  micromesh/raw-tcp:  ops 0.80x  p50 0.50x  p99 0.50x',
      'echo c=1 100B  micromesh/moleculer:  ops 2.00x  p50 0.25x  p99 0.25x',
    ]);
  });

  it('formatRatios — a case listed in compare is also compared with every row of the case it names', () => {
    const rows = [
      row('raw-tcp', 100, 1, 10),
      row('moleculer', 40, 1, 20),
      row('micromesh', 80, 1, 5),
      row('micromesh', 60, 1, 10, 'echo-mw'),
      row('raw-tcp', 1, 64),
      row('micromesh', 1, 64, 10, 'echo-mw'),
    ];
    assert.deepEqual(formatRatios(rows, { compare: { 'echo-mw': 'echo' } }), [
      'echo c=1 100B  micromesh/raw-tcp:  ops 0.80x  p50 0.50x  p99 0.50x',
      'echo c=1 100B  micromesh/moleculer:  ops 2.00x  p50 0.25x  p99 0.25x',
      'echo-mw c=1 100B  micromesh/raw-tcp echo:  ops 0.60x  p50 1.00x  p99 1.00x',
      'echo-mw c=1 100B  micromesh/moleculer echo:  ops 1.50x  p50 0.50x  p99 0.50x',
      'echo-mw c=1 100B  micromesh/micromesh echo:  ops 0.75x  p50 2.00x  p99 2.00x',
      'echo-mw c=64 100B  micromesh/raw-tcp echo:  ops 1.00x  p50 1.00x  p99 1.00x',
    ]);
    // Without it, echo-mw rows have no peer of their own case.
    assert.deepEqual(formatRatios(rows.slice(3, 4)), ['no peer rows match the micromesh rows: no ratios']);
  });

  it('formatRatios — says so when there is nothing to compare', () => {
    assert.match(formatRatios([row('raw-tcp', 1)])[0], /no micromesh rows/);
  });
});
