import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ignoredChange } from '../../../src/cli/commands/run.ts';

test('micro run — changes to installed, built, local-state and log files do not restart the service', () => {
  for (const file of ['node_modules', 'node_modules/pkg/index.js', '.git/index', '.micromesh/store/x', 'dist/main.js', 'service.log', 'logs/today.log', 'sub/node_modules/x']) {
    assert.equal(ignoredChange(file), true, file);
  }
  for (const file of ['src/main.ts', 'value.txt', 'distance.ts', 'proto/x.proto', '.env', 'logbook.ts']) assert.equal(ignoredChange(file), false, file);
});
