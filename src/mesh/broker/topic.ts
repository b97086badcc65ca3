/**
 * Topic rules, the same on every back end: dot-separated segments of `A-Z a-z 0-9 _ -`; a subscription may use `*`
 * for exactly one segment and `>` (last) for one or more remaining segments. These are NATS subjects without its
 * reserved names, so a topic maps onto a NATS subject and a Redis channel unchanged.
 */
import { MicroError } from '../errors.ts';

/** The longest topic, in characters. */
export const MAX_TOPIC_LENGTH = 255;
/** The most segments a topic may have. */
export const MAX_TOPIC_SEGMENTS = 16;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const RULE = 'topics are dot-separated segments of A-Z a-z 0-9 _ - (at most 16 segments, 255 characters); a subscription may use * for one segment and > as the last segment';

function invalid(topic: string, why: string): MicroError {
  return new MicroError('BAD_REQUEST', `invalid topic ${JSON.stringify(topic).slice(0, 300)}: ${why} (${RULE})`);
}

function segmentsOf(topic: unknown): string[] {
  if (typeof topic !== 'string' || topic.length === 0) throw invalid(String(topic), 'it is empty or not a string');
  if (topic.length > MAX_TOPIC_LENGTH) throw invalid(topic, `longer than ${MAX_TOPIC_LENGTH} characters`);
  const segments = topic.split('.');
  if (segments.length > MAX_TOPIC_SEGMENTS) throw invalid(topic, `more than ${MAX_TOPIC_SEGMENTS} segments`);
  return segments;
}

/** Checks a topic to publish on: no wildcards. Throws BAD_REQUEST naming the rule broken. */
export function checkTopic(topic: string): string {
  for (const s of segmentsOf(topic)) {
    if (s === '') throw invalid(topic, 'empty segment');
    if (s === '*' || s === '>') throw invalid(topic, `wildcard ${s} in a topic to publish on`);
    if (!SEGMENT.test(s)) throw invalid(topic, `segment ${JSON.stringify(s)} has a character outside A-Z a-z 0-9 _ -`);
  }
  return topic;
}

/** Checks a subscription pattern: `*` as a whole segment, `>` only as the whole last one. */
export function checkPattern(pattern: string): string {
  const segments = segmentsOf(pattern);
  segments.forEach((s, i) => {
    if (s === '') throw invalid(pattern, 'empty segment');
    if (s === '>' && i !== segments.length - 1) throw invalid(pattern, '> must be the last segment');
    if (s !== '*' && s !== '>' && !SEGMENT.test(s)) {
      throw invalid(pattern, /[*>]/.test(s) ? `wildcard inside segment ${JSON.stringify(s)}: * and > stand alone` : `segment ${JSON.stringify(s)} has a character outside A-Z a-z 0-9 _ -`);
    }
  });
  return pattern;
}

/** Checks a queue group name: one segment of `A-Z a-z 0-9 _ -`. */
export function checkQueue(queue: string | undefined): string | undefined {
  if (queue === undefined) return undefined;
  if (typeof queue !== 'string' || !SEGMENT.test(queue) || queue.length > 128) {
    throw new MicroError('BAD_REQUEST', `invalid queue group ${JSON.stringify(queue)}: one name of A-Z a-z 0-9 _ -, at most 128 characters`);
  }
  return queue;
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('>');
}

/** A predicate for topics a checked pattern matches. */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  if (!hasWildcard(pattern)) return (topic) => topic === pattern;
  const want = pattern.split('.');
  const tail = want[want.length - 1] === '>';
  return (topic) => {
    const got = topic.split('.');
    if (tail ? got.length < want.length : got.length !== want.length) return false;
    for (let i = 0; i < want.length; i++) {
      const w = want[i];
      if (w === '>') return true;
      if (w !== '*' && w !== got[i]) return false;
    }
    return true;
  };
}
