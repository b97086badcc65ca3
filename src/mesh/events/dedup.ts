/** Recently published event ids and their sequences, so a retried publish is stored once (JetStream's duplicate window). */
export class DedupWindow {
  readonly #windowMs: number;
  readonly #max: number;
  readonly #seen = new Map<string, { sequence: number; at: number }>();

  /** Ids are kept `windowMs` and at most `max` of them. */
  constructor(windowMs = 120_000, max = 100_000) {
    this.#windowMs = windowMs;
    this.#max = max;
  }

  /** The sequence stored for `id` within the window, if any. */
  get(id: string, now: number): number | undefined {
    const hit = this.#seen.get(id);
    return hit !== undefined && now - hit.at < this.#windowMs ? hit.sequence : undefined;
  }

  add(id: string, sequence: number, at: number): void {
    this.#seen.set(id, { sequence, at });
    for (const [old, entry] of this.#seen) {
      if (this.#seen.size <= this.#max && at - entry.at < this.#windowMs) break;
      this.#seen.delete(old);
    }
  }
}
