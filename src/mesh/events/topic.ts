/**
 * Topic and group names, the same on every back end: tokens separated by `.`, each of letters, digits, `-` and `_`;
 * consuming may use `*` for one token and `>` (last) for the rest. A name that breaks a rule is BAD_REQUEST naming it.
 */
import { MicroError } from '../errors.ts';

const TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_LENGTH = 255;
const MAX_TOKENS = 16;

/** Checks a topic; `wildcards` allows `*` and a last `>`. Returns the topic. */
export function checkTopic(topic: unknown, wildcards: boolean): string {
  const bad = (rule: string): never => {
    throw new MicroError('BAD_REQUEST', `bad topic ${JSON.stringify(topic)}: ${rule}`);
  };
  if (typeof topic !== 'string' || topic.length === 0) return bad('a topic is a non-empty string');
  if (topic.length > MAX_LENGTH) bad(`at most ${MAX_LENGTH} characters`);
  const tokens = topic.split('.');
  if (tokens.length > MAX_TOKENS) bad(`at most ${MAX_TOKENS} dot-separated tokens`);
  tokens.forEach((token, i) => {
    if (token === '*' || token === '>') {
      if (!wildcards) bad('wildcards (* and >) are for consuming only, and only where the back end supports them');
      if (token === '>' && i !== tokens.length - 1) bad('> may only be the last token');
      return;
    }
    if (!TOKEN.test(token)) bad('tokens are dot-separated, non-empty, of letters, digits, - and _ (wildcards * and > only as whole tokens)');
  });
  return topic;
}

/** Checks a group name: 1 to 64 letters, digits, `-` and `_`. */
export function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || group.length === 0 || group.length > 64 || !TOKEN.test(group)) {
    throw new MicroError('BAD_REQUEST', `bad group ${JSON.stringify(group)}: 1 to 64 letters, digits, - and _`);
  }
  return group;
}

/** Whether a concrete topic matches a pattern with `*` and `>` tokens. */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === topic) return true;
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length || (p[i] !== '*' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}
