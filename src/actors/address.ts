/**
 * Actor addresses: `mesh://<nodeId>/<path>#<incarnation>`, e.g. `mesh://node-a/user/greeter/w1#12`.
 * Without `#…` an address names whatever lives at the path; with it, exactly that incarnation.
 */
export interface Address {
  nodeId: string;
  /** Always starts with `/`: `/user/greeter/w1`. */
  path: string;
  incarnation?: number;
}

const SCHEME = 'mesh://';

export function formatAddress(nodeId: string, path: string, incarnation?: number): string {
  return incarnation === undefined ? `${SCHEME}${nodeId}${path}` : `${SCHEME}${nodeId}${path}#${incarnation}`;
}

/** Parses an address; returns undefined for anything that is not one (never throws). */
export function parseAddress(text: string): Address | undefined {
  if (typeof text !== 'string' || !text.startsWith(SCHEME)) return undefined;
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const nodeId = rest.slice(0, slash);
  let path = rest.slice(slash);
  let incarnation: number | undefined;
  const hash = path.indexOf('#');
  if (hash >= 0) {
    const n = Number(path.slice(hash + 1));
    if (!Number.isSafeInteger(n) || n < 0) return undefined;
    incarnation = n;
    path = path.slice(0, hash);
  }
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (!isValidPath(path)) return undefined;
  return incarnation === undefined ? { nodeId, path } : { nodeId, path, incarnation };
}

const NAME = /^[A-Za-z0-9_$\-.~@:+]+$/;

export function isValidName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && name.length <= 200 && NAME.test(name) && name !== '.' && name !== '..';
}

function isValidPath(path: string): boolean {
  if (!path.startsWith('/')) return false;
  if (path === '/') return true;
  return path.slice(1).split('/').every(isValidName);
}

export function pathSegments(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}
