/** Something that can be a child: it has a name and a place in its parent's start order. */
export interface ChildLike {
  readonly name: string;
  startIndex: number;
}

/**
 * An actor's children by name, in start order. A respawned child keeps its old place, so rest_for_one and
 * ordered shutdown see the order the children were first started in. Allocated on the first child.
 */
export class Children<C extends ChildLike> {
  #byName: Map<string, C> | undefined;
  #counter = 0;

  add(child: C, startIndex?: number): void {
    (this.#byName ??= new Map()).set(child.name, child);
    child.startIndex = startIndex ?? this.#counter++;
  }

  has(name: string): boolean {
    return this.#byName?.has(name) ?? false;
  }

  named(name: string): C | undefined {
    return this.#byName?.get(name);
  }

  /** A name for an unnamed child: `$` and a base-36 counter. */
  nextName(): string {
    return `$${this.#counter.toString(36)}`;
  }

  /** Removes `child` if it is the one registered under its name. */
  remove(child: C): boolean {
    if (this.#byName?.get(child.name) !== child) return false;
    this.#byName.delete(child.name);
    return true;
  }

  /** Children in start order. */
  inOrder(): C[] {
    if (this.#byName === undefined) return [];
    return [...this.#byName.values()].sort((a, b) => a.startIndex - b.startIndex);
  }
}
