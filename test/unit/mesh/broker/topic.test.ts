import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPattern, checkQueue, checkTopic, topicMatcher } from '../../../../src/mesh/broker/topic.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';

const rejects = (fn: () => unknown, rule: string): void =>
  assert.throws(fn, (e: unknown) => e instanceof MicroError && e.code === 400 && e.detail.includes(rule) && e.detail.includes('dot-separated'), rule);

test('topic — publish topics: segments of A-Z a-z 0-9 _ -, no wildcards, bounded; each break names its rule', () => {
  assert.equal(checkTopic('orders.created'), 'orders.created');
  assert.equal(checkTopic('A-b_9'), 'A-b_9');
  rejects(() => checkTopic(''), 'empty');
  rejects(() => checkTopic('a..b'), 'empty segment');
  rejects(() => checkTopic('.a'), 'empty segment');
  rejects(() => checkTopic('a.*'), 'wildcard * in a topic to publish on');
  rejects(() => checkTopic('a.>'), 'wildcard >');
  rejects(() => checkTopic('a.b c'), 'outside A-Z');
  rejects(() => checkTopic('$SYS.x'), 'outside A-Z');
  rejects(() => checkTopic('a/b'), 'outside A-Z');
  rejects(() => checkTopic('x'.repeat(256)), 'longer than 255');
  rejects(() => checkTopic(Array.from({ length: 17 }, () => 'a').join('.')), 'more than 16 segments');
});

test('topic — patterns: * as a whole segment anywhere, > only last', () => {
  for (const ok of ['a.*', '*.b', '*', '>', 'a.>', 'a.*.>', '*.*']) assert.equal(checkPattern(ok), ok);
  rejects(() => checkPattern('a.>.b'), '> must be the last segment');
  rejects(() => checkPattern('a*'), 'stand alone');
  rejects(() => checkPattern('a.b>'), 'stand alone');
  rejects(() => checkPattern('a..*'), 'empty segment');
});

test('topic — matching: * is one segment, > one or more, literals exact', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b', 'a.b', true],
    ['a.b', 'a.bc', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['*.b.>', 'x.b.y', true],
    ['*.b.>', 'x.c.y', false],
    ['>', 'anything.at.all', true],
    ['*', 'one', true],
    ['*', 'one.two', false],
  ];
  for (const [pattern, topic, expected] of cases) assert.equal(topicMatcher(pattern)(topic), expected, `${pattern} ~ ${topic}`);
});

test('topic — queue group names are one segment', () => {
  assert.equal(checkQueue('workers'), 'workers');
  assert.equal(checkQueue(undefined), undefined);
  assert.throws(() => checkQueue('a.b'), (e: unknown) => e instanceof MicroError && e.code === 400);
  assert.throws(() => checkQueue(''), (e: unknown) => e instanceof MicroError && e.code === 400);
});
