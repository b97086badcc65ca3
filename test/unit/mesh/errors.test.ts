import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ActorError,
  ActorErrorCodes,
  ActorFailedError,
  ActorStoppedError,
  AskTimeoutError,
  InvalidTimeoutError,
  MailboxFullError,
  RemoteDeniedError,
} from '../../../src/actors/index.ts';
import { ActorErrorReasons, ErrorReasons, MicroError } from '../../../src/mesh/errors.ts';

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

test('errors — docs/errors.md lists every actor kernel code with the mesh reason it maps to', () => {
  const documented = rows('Actor kernel codes');
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ActorErrorCodes).sort());
  for (const [code, reason] of Object.entries(ActorErrorReasons)) {
    assert.equal((documented.get(code) as string[])[1], `\`${reason}\``, code);
  }
});

test('errors — every ActorError code has a mesh reason, and MicroError.from maps by it', () => {
  assert.deepEqual(Object.keys(ActorErrorReasons).sort(), Object.keys(ActorErrorCodes).sort(), 'a code without a mapping (or a stale one)');
  for (const code of Object.values(ActorErrorCodes)) {
    const reason = ActorErrorReasons[code];
    assert.ok(reason in ErrorReasons, `${code} maps to an unknown reason ${reason}`);
    const actorError = new ActorError(code, `some ${code}`);
    const e = MicroError.from(actorError, 'svc');
    assert.equal(e.reason, reason, code);
    assert.equal(e.code, ErrorReasons[reason].code, code);
    assert.equal(e.detail, `some ${code}`);
    assert.equal(e.id, 'svc');
    assert.equal(e.cause, actorError, 'the ActorError is kept as the cause');
  }
});

test('errors — a full mailbox is a typed 503 OVERLOADED, retryable', () => {
  const e = MicroError.from(new MailboxFullError('/user/w', 10));
  assert.equal(e.reason, 'OVERLOADED');
  assert.equal(e.code, 503);
  assert.equal(e.status, 'Service Unavailable');
  assert.equal(e.retryable, true);
  assert.equal(MicroError.fromJSON(JSON.parse(JSON.stringify(e))).retryable, true, 'still retryable after the wire');
});

test('errors — the kernel error classes map to the go-micro codes a caller expects', () => {
  const cases: Array<[Error, string, number, boolean]> = [
    [new AskTimeoutError('/user/a', 'get', 10), 'TIMEOUT', 408, false],
    [new ActorStoppedError('/user/a', 'get'), 'ACTOR_NOT_FOUND', 404, false],
    [new ActorFailedError('/user/a', new Error('x')), 'INTERNAL', 500, false],
    [new InvalidTimeoutError(Number.NaN), 'BAD_REQUEST', 400, false],
    [new RemoteDeniedError('/user/sup', 'start-child', 'node-x'), 'FORBIDDEN', 403, false],
    [new ActorError(ActorErrorCodes.ASK_ABORTED, 'aborted'), 'CANCELLED', 499, false],
    [new ActorError(ActorErrorCodes.SYSTEM_STOPPED, 'stopped'), 'UNAVAILABLE', 503, true],
  ];
  for (const [err, reason, code, retryable] of cases) {
    const e = MicroError.from(err);
    assert.deepEqual([e.reason, e.code, e.retryable], [reason, code, retryable], err.name);
  }
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
