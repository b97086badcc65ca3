import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerExecArgv } from '../../../../src/mesh/codec/pool.ts';

test('pool — a TS loader already on the command line is inherited as is', () => {
  assert.equal(workerExecArgv(['--import', 'tsx']), undefined);
  assert.equal(workerExecArgv(['--require', '/x/tsx/dist/preflight.cjs', '--import', 'file:///x/tsx/dist/loader.mjs']), undefined);
  assert.equal(workerExecArgv(['--experimental-strip-types']), undefined);
});

test('pool — with no TS loader on the command line the worker gets tsx explicitly', () => {
  const argv = workerExecArgv(['--enable-source-maps']);
  assert.equal(argv?.[0], '--enable-source-maps');
  assert.equal(argv?.[1], '--import');
  assert.match(argv?.[2] ?? '', /^file:.*tsx.*\.mjs$/);
});

test('pool — flags about an -e script are not passed on, and its source is not read as flags', () => {
  assert.deepEqual(workerExecArgv(['--import', 'tsx', '--input-type=module', '-e', 'import("tsx")']), ['--import', 'tsx']);
  const argv = workerExecArgv(['--input-type', 'module', '--eval', "await import('tsx/esm/api')"]);
  assert.equal(argv?.[0], '--import');
  assert.equal(argv?.length, 2);
});
