import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { envTree, isNodeSetting } from '../../../../src/mesh/config/env-source.ts';
import { flagsTree } from '../../../../src/mesh/config/flags-source.ts';
import { parseDocument } from '../../../../src/mesh/config/parse.ts';
import { deepEqual, expandTree, getPath, mergeTrees, parseScalar } from '../../../../src/mesh/config/tree.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';

const invalid = (pattern: RegExp) => (err: unknown) => err instanceof MicroError && err.reason === 'CONFIG_INVALID' && pattern.test(err.detail);

test('config env — MICRO_DATABASE_ADDRESS is database.address; numbers and booleans are parsed', () => {
  const tree = envTree({ MICRO_DATABASE_ADDRESS: 'db:5432', MICRO_DATABASE_POOL: '8', MICRO_FEATURES_BETA: 'true', MICRO_RATIO: '0.5', MICRO_LIST: '[1,2]', OTHER: 'x' }, 'MICRO_');
  assert.deepEqual(tree, { database: { address: 'db:5432', pool: 8 }, features: { beta: true }, ratio: 0.5, list: [1, 2] });
});

test('config env — the node\'s own settings (MICRO_REGISTRY, MICRO_STORE_…, MICRO_NODE_ID, MICRO_LOG_LEVEL…) are not config', () => {
  const tree = envTree({ MICRO_REGISTRY: 'memory', MICRO_STORE_PREFIX: 'x', MICRO_NODE_ID: 'n1', MICRO_LOG_LEVEL: 'info', MICRO_CONFIG: 'env', MICRO_AUTH_KEY: 'k', MICRO_ADDRESSBOOK_URL: 'a' }, 'MICRO_');
  assert.deepEqual(tree, { addressbook: { url: 'a' } }, 'ADDRESSBOOK is not ADDRESS: only whole names and NAME_… are left out');
  assert.deepEqual(envTree({ APP_REGISTRY: 'r' }, 'APP_'), { registry: 'r' }, 'another prefix leaves nothing out');
});

test('config env — every MICRO_* variable the rest of the source code names is a node setting (one list, kept in sync)', () => {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (join(dir, e.name) !== join('src', 'mesh', 'config')) walk(join(dir, e.name)); // its docs show config examples
      }
      else if (e.name.endsWith('.ts')) for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(/\bMICRO_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) names.add(m[0]);
    }
  };
  walk('src');
  const config = [...names].filter((n) => !isNodeSetting(n));
  assert.deepEqual(config, [], `add these to NODE_SETTING_GROUPS (src/mesh/config/env-source.ts) and the README: ${config.join(', ')}`);
});

test('config flags — --a.b=v and --a.b v set paths, a bare flag is true, parsing stops at --', () => {
  assert.deepEqual(flagsTree(['serve', '--server.port=8080', '--db.host', 'h', '--verbose', '--', '--late=1']), { server: { port: 8080 }, db: { host: 'h' }, verbose: true });
  assert.deepEqual(flagsTree(['--config.a=1', '--timeout=5'], 'config.'), { a: 1 }, 'a prefix keeps only its flags');
});

test('config tree — deep merge (later wins, objects merge, arrays replace), paths, equality', () => {
  const merged = mergeTrees({ db: { host: 'a', port: 1 }, list: [1, 2] }, { db: { port: 2 }, list: [3] });
  assert.deepEqual(merged, { db: { host: 'a', port: 2 }, list: [3] });
  assert.equal(getPath(merged, 'db.port'), 2);
  assert.equal(getPath(merged, 'db.port.x'), undefined);
  assert.deepEqual(getPath(merged, ''), merged);
  assert.ok(deepEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }));
  assert.ok(!deepEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.equal(parseScalar('007x'), '007x');
  assert.equal(parseScalar('12345678901234567890'), '12345678901234567890', 'an unsafe integer stays text');
});

test('config tree — variables expand in every string, with defaults', () => {
  const env = { HOST: 'db.local', EMPTY: '' };
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR} syntax is under test
  assert.deepEqual(expandTree({ a: '${HOST}:${PORT:-5432}', b: ['${EMPTY:-x}', '${NOPE}'], c: 3, d: '$HOME' }, env), { a: 'db.local:5432', b: ['x', ''], c: 3, d: '$HOME' });
});

test('config parse — JSON and YAML parse errors name the document and the line:column', async () => {
  await assert.rejects(parseDocument('{\n  "a": 1,\n  b: 2\n}', 'json', 'config file /x.json'), invalid(/^config file \/x\.json:3:3: /));
  await assert.rejects(parseDocument('a: 1\nb: [1, 2\nc: 3\n', 'yaml', 'config file /x.yaml'), invalid(/^config file \/x\.yaml:3:1: /));
  await assert.rejects(parseDocument('a: 1\na: 2\n', 'yaml', 'f'), invalid(/^f:2:1: .*unique/i));
  await assert.rejects(parseDocument('- 1\n- 2\n', 'yaml', 'f'), invalid(/f:1:1: the document must be a mapping/));
  assert.deepEqual(await parseDocument('', 'yaml', 'f'), {});
  assert.deepEqual(await parseDocument('db:\n  port: 5432\n  tls: true\n', 'yaml', 'f'), { db: { port: 5432, tls: true } });
});

test('config tree — keys that reach a prototype (__proto__, constructor, prototype) are dropped from every source', async () => {
  assert.deepEqual(flagsTree(['--__proto__.polluted=1', '--a.constructor.prototype.x=1', '--ok=1']), { ok: 1 });
  const parsed = await parseDocument('{"__proto__": {"polluted": 1}, "a": {"constructor": {"prototype": {"x": 1}}}}', 'json', 'f');
  const merged = mergeTrees({}, parsed);
  assert.deepEqual(Object.keys(merged), ['a']);
  assert.deepEqual(expandTree(parsed, {}), { a: {} });
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched');
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
});
