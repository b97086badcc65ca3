/**
 * A growable ring buffer of (item, meta) pairs kept in two parallel arrays, so a queued message costs no
 * allocation. Capacity is a power of two; it grows by doubling and never shrinks below its start size.
 */
export class Deque<T, U = unknown> {
  #items: (T | undefined)[];
  #metas: (U | undefined)[];
  #head = 0;
  #size = 0;
  #mask: number;
  /** Meta of the item most recently taken by `shift`. */
  lastMeta: U | undefined = undefined;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap <<= 1;
    this.#items = new Array(cap);
    this.#metas = new Array(cap);
    this.#mask = cap - 1;
  }

  get length(): number {
    return this.#size;
  }

  push(item: T, meta: U | undefined): void {
    if (this.#size > this.#mask) this.#grow();
    const i = (this.#head + this.#size) & this.#mask;
    this.#items[i] = item;
    this.#metas[i] = meta;
    this.#size++;
  }

  /** Takes the oldest item; its meta lands in `lastMeta`. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const i = this.#head;
    const item = this.#items[i];
    this.lastMeta = this.#metas[i];
    this.#items[i] = undefined;
    this.#metas[i] = undefined;
    this.#head = (i + 1) & this.#mask;
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** Empties the queue, handing each pair to `each` in order. */
  drain(each: (item: T, meta: U | undefined) => void): void {
    while (this.#size > 0) {
      const item = this.shift() as T;
      each(item, this.lastMeta);
    }
    this.lastMeta = undefined;
  }

  #grow(): void {
    const cap = this.#items.length;
    const items = new Array<T | undefined>(cap * 2);
    const metas = new Array<U | undefined>(cap * 2);
    for (let k = 0; k < this.#size; k++) {
      const j = (this.#head + k) & this.#mask;
      items[k] = this.#items[j];
      metas[k] = this.#metas[j];
    }
    this.#items = items;
    this.#metas = metas;
    this.#head = 0;
    this.#mask = cap * 2 - 1;
  }
}
