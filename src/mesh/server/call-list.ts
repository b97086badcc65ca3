import type { ServerCall } from './server-call.ts';

/**
 * The calls a server is running, as an intrusive doubly linked list: adding and removing a call touches two
 * fields, allocates nothing, and leaves no dead entries for the garbage collector to copy (a Set churned at call
 * rates keeps old hash tables, and the finished calls they reference, alive across minor collections).
 */
export class CallList {
  #head: ServerCall | undefined;
  size = 0;

  add(call: ServerCall): void {
    call.prevCall = undefined;
    call.nextCall = this.#head;
    if (this.#head !== undefined) this.#head.prevCall = call;
    this.#head = call;
    call.listed = true;
    this.size++;
  }

  delete(call: ServerCall): void {
    if (!call.listed) return;
    call.listed = false;
    if (call.prevCall !== undefined) call.prevCall.nextCall = call.nextCall;
    else this.#head = call.nextCall;
    if (call.nextCall !== undefined) call.nextCall.prevCall = call.prevCall;
    call.prevCall = call.nextCall = undefined;
    this.size--;
  }

  /** A snapshot of the calls, for a drain that ends them. */
  toArray(): ServerCall[] {
    const out: ServerCall[] = [];
    for (let c = this.#head; c !== undefined; c = c.nextCall) out.push(c);
    return out;
  }
}
