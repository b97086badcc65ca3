import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import type { ConfigEvent } from '../../../../src/mesh/config/config.ts';
import { createFileSource } from '../../../../src/mesh/config/file-source.ts';
import { createConfig } from '../../../../src/mesh/config/mesh-config.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { memoryMesh } from '../../../support/mesh.ts';
import { waitUntil } from '../../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'mm-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const reason = (r: string, pattern = /./) => (err: unknown) => err instanceof MicroError && err.reason === r && pattern.test(err.detail);

/** Writes `text` as an editor does: to a temporary file, then renamed over the original. */
function saveByRename(path: string, text: string): void {
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

test('config file — YAML and JSON load; edits in place and saves by rename are both hot-reloaded', async () => {
  const yaml = join(dir, 'app.yaml');
  const json = join(dir, 'app.json');
  writeFileSync(yaml, 'db:\n  host: a\n  port: 1\n');
  writeFileSync(json, '{ "db": { "port": 2 } }');
  const config = await createConfig({ sources: [createFileSource({ path: yaml }), createFileSource({ path: json })], debounceMs: 20 });
  assert.deepEqual(config.get('db'), { host: 'a', port: 2 });
  const seen: unknown[] = [];
  config.watch('db.host', (v) => seen.push(v));
  saveByRename(yaml, 'db:\n  host: b\n');
  await waitUntil(() => config.get('db.host') === 'b', 5000, 'the save by rename');
  writeFileSync(yaml, 'db:\n  host: c\n');
  await waitUntil(() => config.get('db.host') === 'c', 5000, 'the write in place');
  writeFileSync(join(dir, 'unrelated.yaml'), 'x: 1');
  saveByRename(json, '{ "db": { "port": 3 } }');
  await waitUntil(() => config.get('db.port') === 3, 5000, 'the JSON file');
  assert.deepEqual(seen, ['b', 'c']);
  await config.close();
});

test('config file — a broken save keeps the last good settings and emits an error naming the file and line:column', async () => {
  const path = join(dir, 'broken.yaml');
  writeFileSync(path, 'level: info\nlimits:\n  rps: 10\n');
  const config = await createConfig({ sources: [createFileSource({ path })], debounceMs: 20 });
  const errors: Array<Extract<ConfigEvent, { type: 'error' }>> = [];
  config.onEvent((e) => e.type === 'error' && errors.push(e));
  saveByRename(path, 'level: debug\nlimits:\n  rps: [10\n');
  await waitUntil(() => errors.length > 0, 5000, 'the error event');
  assert.equal(errors[0]?.source, `file ${path}`);
  assert.match(errors[0]?.error.message ?? '', new RegExp(`^config file ${path}:4:1: `));
  assert.equal(config.get('level'), 'info', 'the last good configuration stays');
  await assert.rejects(createConfig({ sources: [createFileSource({ path })] }), (err: unknown) => err instanceof MicroError && err.detail === errors[0]?.error.message, 'startup with that file fails with the same message');
  saveByRename(path, 'level: debug\n');
  await waitUntil(() => config.get('level') === 'debug', 5000, 'the repaired file');
  await config.close();
});

test('config file — missing, a directory or broken at startup: one clear error naming the file; optional and URL forms', async () => {
  const missing = join(dir, 'none.yaml');
  await assert.rejects(createConfig({ sources: [createFileSource({ path: missing })] }), reason('BAD_REQUEST', new RegExp(`config file ${missing}: not found`)));
  const folder = join(dir, 'folder.yaml');
  mkdirSync(folder);
  await assert.rejects(createConfig({ sources: [createFileSource({ path: folder })] }), reason('BAD_REQUEST', /folder\.yaml: is a directory/));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"a": 1,}');
  await assert.rejects(createConfig({ sources: [createFileSource({ path: bad })] }), reason('CONFIG_INVALID', new RegExp(`config file ${bad}:1:9: `)));
  const optional = await createConfig({ sources: [createFileSource({ path: missing, optional: true })] });
  assert.deepEqual(optional.get(''), {});
  await optional.close();

  const mesh = memoryMesh();
  const good = join(dir, 'node.yaml');
  writeFileSync(good, 'greeting: hello\n');
  const a = await mesh.node('fa', { config: [pathToFileURL(good).href, `${pathToFileURL(missing).href}?optional=true`] });
  assert.equal(a.config.get('greeting'), 'hello');
  const b = await mesh.node('fb', { config: good });
  assert.equal(b.config.get('greeting'), 'hello', 'a plain path is a file source');
  await assert.rejects(mesh.node('fc', { config: [pathToFileURL(bad).href] }), reason('CONFIG_INVALID', /bad\.json:1:9/));
  await assert.rejects(mesh.node('fd', { config: ['file://host/x.yaml'] }), reason('BAD_REQUEST', /use file:\/\/\/absolute/));
  await mesh.close();
});
