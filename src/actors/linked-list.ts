/**
 * An intrusive doubly linked list: each item carries its own `prev` and `next`, so linking and unlinking allocate
 * nothing and take constant time. The ask registry's timeout lists and the store's deadline lists use it.
 */

/** An item's links; both undefined while it is on no list. */
export interface Links<T> {
  prev: T | undefined;
  next: T | undefined;
}

/** A list's ends; both undefined while it is empty. */
export interface Ends<T> {
  head: T | undefined;
  tail: T | undefined;
}

/** Puts `item` (on no list) at the tail of `list`. */
export function linkLast<T extends Links<T>>(list: Ends<T>, item: T): void {
  item.prev = list.tail;
  if (list.tail !== undefined) list.tail.next = item;
  else list.head = item;
  list.tail = item;
}

/** Takes `item` off `list`, which holds it. */
export function unlink<T extends Links<T>>(list: Ends<T>, item: T): void {
  if (item.prev !== undefined) item.prev.next = item.next;
  else list.head = item.next;
  if (item.next !== undefined) item.next.prev = item.prev;
  else list.tail = item.prev;
  item.prev = item.next = undefined;
}
