import { MicroError } from '../errors.ts';
import type { Endpoint, RegistryNode, Service, Value } from './registry.ts';

// Registrations come from user code and, for mDNS, from the network: both are checked field by field and copied
// into frozen objects, so a registry never keeps (or hands out) a reference someone else can change.

const MAX_VALUE_DEPTH = 16;

/** A frozen, checked copy of a service; throws BAD_REQUEST naming the first bad field. Missing metadata is `{}`. */
export function parseService(input: unknown, options: { requireNodes?: boolean } = {}): Service {
  const s = record(input, 'service');
  const name = text(s.name, 'service.name');
  if (name === '') throw bad('service.name is empty');
  const version = s.version === undefined ? '' : text(s.version, 'service.version');
  const endpoints = s.endpoints === undefined ? [] : list(s.endpoints, 'service.endpoints').map(parseEndpoint);
  const nodes = s.nodes === undefined ? [] : list(s.nodes, 'service.nodes').map(parseNode);
  if (options.requireNodes !== false && nodes.length === 0) throw bad(`service ${name} has no nodes`);
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.id)) throw bad(`service ${name} lists node ${node.id} twice`);
    seen.add(node.id);
  }
  return Object.freeze({
    name,
    version,
    metadata: strings(s.metadata, 'service.metadata'),
    endpoints: Object.freeze(endpoints) as Endpoint[],
    nodes: Object.freeze(nodes) as RegistryNode[],
  });
}

export function parseNode(input: unknown, index = 0): RegistryNode {
  const n = record(input, `nodes[${index}]`);
  const id = text(n.id, `nodes[${index}].id`);
  if (id === '') throw bad(`nodes[${index}].id is empty`);
  return Object.freeze({ id, address: text(n.address, `nodes[${index}].address`), metadata: strings(n.metadata, `nodes[${index}].metadata`) });
}

function parseEndpoint(input: unknown, index: number): Endpoint {
  const e = record(input, `endpoints[${index}]`);
  const endpoint: Endpoint = { name: text(e.name, `endpoints[${index}].name`), metadata: strings(e.metadata, `endpoints[${index}].metadata`) };
  if (e.request !== undefined && e.request !== null) endpoint.request = parseValue(e.request, `endpoints[${index}].request`, 0);
  if (e.response !== undefined && e.response !== null) endpoint.response = parseValue(e.response, `endpoints[${index}].response`, 0);
  return Object.freeze(endpoint);
}

function parseValue(input: unknown, path: string, depth: number): Value {
  if (depth > MAX_VALUE_DEPTH) throw bad(`${path} nests deeper than ${MAX_VALUE_DEPTH}`);
  const v = record(input, path);
  const value: Value = { name: text(v.name, `${path}.name`), type: text(v.type, `${path}.type`) };
  if (v.values !== undefined && v.values !== null) {
    value.values = Object.freeze(list(v.values, `${path}.values`).map((x, i) => parseValue(x, `${path}.values[${i}]`, depth + 1))) as Value[];
  }
  return Object.freeze(value);
}

function strings(input: unknown, path: string): Record<string, string> {
  if (input === undefined || input === null) return Object.freeze({});
  const r = record(input, path);
  const out: Record<string, string> = {};
  for (const key of Object.keys(r)) out[key] = text(r[key], `${path}.${key}`);
  return Object.freeze(out);
}

function record(input: unknown, path: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad(`${path} is not an object`);
  return input as Record<string, unknown>;
}

function list(input: unknown, path: string): unknown[] {
  if (!Array.isArray(input)) throw bad(`${path} is not an array`);
  return input;
}

function text(input: unknown, path: string): string {
  if (typeof input !== 'string') throw bad(`${path} is not a string`);
  return input;
}

const bad = (detail: string) => new MicroError('BAD_REQUEST', detail, { id: 'micromesh.registry' });

/** Deep equality of JSON-shaped values (what services are made of). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
