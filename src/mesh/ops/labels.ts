/**
 * Keeping label values few. Paths, addresses and topics come from code and from the network; folded and capped
 * here, they cannot grow a metric without bound (a peer sending to a million made-up actor names adds one series).
 */

/** The label value that stands for every value past a {@link LabelCap}'s limit. */
export const OTHER = 'other';

/** Admits the first `max` distinct values of a label; later ones read as {@link OTHER}. */
export interface LabelCap {
  (value: string): string;
  readonly size: number;
}

export function createLabelCap(max: number): LabelCap {
  const seen = new Set<string>();
  const cap = (value: string): string => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER;
    seen.add(value);
    return value;
  };
  Object.defineProperty(cap, 'size', { get: () => seen.size });
  return cap as LabelCap;
}

/** A path segment that names an instance rather than a kind: it holds a digit, or is a generated `$` name. */
function isInstance(segment: string): boolean {
  return /\d/.test(segment) || segment.startsWith('$');
}

/**
 * The kind of an actor from its path or address: the path alone (no `mesh://node`, no `#incarnation`), with
 * instance segments folded to `*`, so `/user/services/greeter/instance-3` reads `/user/services/greeter/*`.
 */
export function actorKind(pathOrAddress: string): string {
  let path = pathOrAddress;
  const scheme = path.indexOf('://');
  if (scheme >= 0) {
    const slash = path.indexOf('/', scheme + 3);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  const parts = path.split('/').filter((p) => p.length > 0);
  return `/${parts.map((p) => (isInstance(p) ? '*' : p)).join('/')}`;
}

/** The kind of an actor's supervisor: its parent's kind. */
export function supervisorKind(actorPath: string): string {
  const kind = actorKind(actorPath);
  return kind.slice(0, Math.max(1, kind.lastIndexOf('/')));
}
