/**
 * Access rules, go-micro's model: tried highest priority first, the first whose resource and scope match decides,
 * and nothing matching is a denial. Rules are checked when set, so a bad one never half-applies.
 */
import { MicroError } from '../errors.ts';
import type { Account, Resource, Rule } from './auth.ts';

/** Whether `value` matches a pattern: `*`, exact, or a prefix ending in `*` (`Say.*` matches `Say.Hello`). */
export function matches(pattern: string | undefined, value: string): boolean {
  if (pattern === undefined || pattern === '*') return true;
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function scopeMatches(scope: string, account: Account | undefined): boolean {
  if (scope === '') return true;
  if (account === undefined) return false;
  return scope === '*' || account.scopes.includes(scope);
}

/** The rules checked and sorted, highest priority first (ties keep their given order). BAD_REQUEST naming a bad rule. */
export function checkRules(input: unknown): Rule[] {
  if (!Array.isArray(input)) throw new MicroError('BAD_REQUEST', 'auth rules must be a list');
  const seen = new Set<string>();
  const rules = input.map((r: unknown, i) => {
    const rule = r as Rule;
    const name = typeof rule?.id === 'string' && rule.id !== '' ? rule.id : `#${i}`;
    const bad = (what: string): never => {
      throw new MicroError('BAD_REQUEST', `auth rule ${name}: ${what}`);
    };
    if (typeof rule !== 'object' || rule === null) bad('is not an object');
    if (typeof rule.id !== 'string' || rule.id === '') bad('needs an id');
    if (seen.has(rule.id)) bad('id is used twice');
    seen.add(rule.id);
    const res = rule.resource;
    if (typeof res !== 'object' || res === null || typeof res.name !== 'string' || res.name === '') bad('needs resource.name (a name or *)');
    for (const f of ['type', 'endpoint'] as const) if (res[f] !== undefined && typeof res[f] !== 'string') bad(`resource.${f} must be a string`);
    if (typeof rule.scope !== 'string') bad("needs a scope ('' for anyone, '*' for any account)");
    if (rule.access !== 'grant' && rule.access !== 'deny') bad("access must be 'grant' or 'deny'");
    if (rule.priority !== undefined && !Number.isFinite(rule.priority)) bad('priority must be a number');
    return { rule, i };
  });
  rules.sort((a, b) => (b.rule.priority ?? 0) - (a.rule.priority ?? 0) || a.i - b.i);
  return rules.map((r) => r.rule);
}

/** The first rule (of sorted `rules`) matching both the resource and the account, or undefined. */
export function decide(rules: readonly Rule[], account: Account | undefined, resource: Resource): Rule | undefined {
  for (const rule of rules) {
    const p = rule.resource;
    if (!matches(p.type, resource.type) || !matches(p.name, resource.name) || !matches(p.endpoint, resource.endpoint)) continue;
    if (scopeMatches(rule.scope, account)) return rule;
  }
  return undefined;
}

/** Names a resource in an error: `greeter Say.Hello`, `actor /user/counter`, `topic orders`. */
export function describe(resource: Resource): string {
  if (resource.type === 'service') return `${resource.name} ${resource.endpoint}`;
  return `${resource.type} ${resource.name}${resource.endpoint === '*' ? '' : ` ${resource.endpoint}`}`;
}

/** Throws when `account` may not reach `resource`: UNAUTHORIZED without an account, FORBIDDEN with one. */
export function enforce(rules: readonly Rule[], account: Account | undefined, resource: Resource): void {
  const rule = decide(rules, account, resource);
  if (rule?.access === 'grant') return;
  if (account === undefined && rule?.scope !== '') throw new MicroError('UNAUTHORIZED', `a token is required for ${describe(resource)}`);
  const why = rule === undefined ? 'no rule grants it' : `denied by rule ${rule.id}`;
  const who = account === undefined ? 'a caller without a token' : `${account.type} ${account.id}`;
  throw new MicroError('FORBIDDEN', `${who} may not call ${describe(resource)}: ${why}`);
}
