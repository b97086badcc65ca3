/**
 * The last KV entry this process saw per key (its stream sequence and the envelope fields a write needs), so that a
 * write can compare-and-set on it without reading the entry first. A stale entry costs one lost compare-and-set and
 * a read, never a wrong write: the server checks the sequence.
 */

export interface SeenEntry {
  /** The entry's stream sequence (0: no entry). */
  seq: number;
  /** The record's revision (0: none: absent or deleted). */
  r: number;
  /** Expiry, epoch ms, or 0. */
  e: number;
  /** The chunks the entry names, if any. */
  c?: number;
  w?: string;
}

/** The record's revision as a write sees it: 0 when there is none or it expired. */
export const liveRevision = (seen: SeenEntry, now: number): number => (seen.r > 0 && (seen.e === 0 || seen.e > now) ? seen.r : 0);

/** A bounded map of {@link SeenEntry}, oldest dropped first. */
export class SeenEntries {
  readonly #entries = new Map<string, SeenEntry>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  get(bucket: string, key: string): SeenEntry | undefined {
    return this.#entries.get(`${bucket}\n${key}`);
  }

  /** Keeps `seen` unless that entry or a later one of the key was seen already. */
  set(bucket: string, key: string, seen: SeenEntry): void {
    const id = `${bucket}\n${key}`;
    const held = this.#entries.get(id);
    if (held !== undefined) {
      if (held.seq >= seen.seq) return;
      this.#entries.delete(id);
    } else if (this.#entries.size >= this.#max) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
    this.#entries.set(id, seen);
  }

  forget(bucket: string, key: string): void {
    this.#entries.delete(`${bucket}\n${key}`);
  }
}
