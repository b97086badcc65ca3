import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ActorErrorCodes } from '../../../src/actors/index.ts';
import { ErrorReasons, MicroError } from '../../../src/mesh/errors.ts';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

function rows(section: string): Map<string, string[]> {
  const part = doc.split(`## ${section}`)[1]?.split('\n## ')[0] ?? '';
  const out = new Map<string, string[]>();
  for (const line of part.split('\n')) {
    const m = /^\| `([A-Z_]+)` \|(.*)\|$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).split('|').map((c) => c.trim()));
  }
  return out;
}

test('errors — docs/errors.md lists every mesh reason with its code and retryable flag, and nothing else', () => {
  const documented = rows('Mesh reasons');
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ErrorReasons).sort());
  for (const [reason, entry] of Object.entries(ErrorReasons)) {
    const [code, retryable] = documented.get(reason) as string[];
    assert.equal(Number(code), entry.code, reason);
    assert.equal(retryable, entry.retryable ? 'yes' : 'no', reason);
  }
});

test('errors — docs/errors.md lists every actor kernel code', () => {
  assert.deepEqual([...rows('Actor kernel codes').keys()].sort(), Object.keys(ActorErrorCodes).sort());
});

test('errors — the wire form round-trips; a plain error becomes a 500 with its message', () => {
  const e = new MicroError('SERVICE_NOT_FOUND', 'service x not found', { id: 'micromesh.client' });
  assert.deepEqual(e.toJSON(), { id: 'micromesh.client', code: 404, detail: 'service x not found', status: 'Not Found', reason: 'SERVICE_NOT_FOUND' });
  const back = MicroError.fromJSON(JSON.parse(JSON.stringify(e)));
  assert.equal(back.reason, 'SERVICE_NOT_FOUND');
  assert.equal(MicroError.fromJSON({ code: 503, detail: 'x', id: 'go-micro' }).reason, 'UNAVAILABLE', 'a go-micro error maps by code');
  const plain = MicroError.from(new Error('boom'), 'greeter');
  assert.equal(plain.code, 500);
  assert.equal(plain.detail, 'boom');
  assert.equal(plain.id, 'greeter');
});
