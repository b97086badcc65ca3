import type { AnyRef, SerializedRef } from '../../actors/index.ts';

/** How many refs one node may hold grants for before the oldest are forgotten. */
const MAX_GRANTS_PER_NODE = 10_000;

function uidOf(ref: AnyRef): number | undefined {
  return (ref.toJSON() as SerializedRef).uid;
}

/**
 * Which local actors other nodes may send to. Nothing is reachable from the network by default: an actor is
 * reachable by every node once exposed (`node.expose(ref)`), and by one node once a ref to it was sent to that node
 * (inside a message, or as the sender of a tell), so a reply or a callback always gets through. Service instances
 * are reached through REQUEST frames, never by actor messages; supervisors and /system never.
 */
export class Exposure {
  readonly #exposed = new Map<string, number | undefined>();
  readonly #grants = new Map<string, Map<string, number | undefined>>();

  /** Makes `ref` reachable by every node; returns a function that withdraws it. */
  expose(ref: AnyRef): () => void {
    const uid = uidOf(ref);
    this.#exposed.set(ref.path, uid);
    return () => {
      if (this.#exposed.get(ref.path) === uid) this.#exposed.delete(ref.path);
    };
  }

  /** `nodeId` was handed a ref to a local actor (path and lineage), so it may send to it. */
  grant(nodeId: string, path: string, uid: number | undefined): void {
    let granted = this.#grants.get(nodeId);
    if (granted === undefined) {
      granted = new Map();
      this.#grants.set(nodeId, granted);
    }
    granted.delete(path);
    granted.set(path, uid);
    if (granted.size > MAX_GRANTS_PER_NODE) granted.delete(granted.keys().next().value as string);
  }

  /** Whether `nodeId` (undefined: an unverified peer) may send to the local actor `ref`. */
  allows(nodeId: string | undefined, ref: AnyRef): boolean {
    const path = ref.path;
    if (!path.startsWith('/user/')) return false;
    const uid = uidOf(ref);
    if (this.#exposed.has(path) && this.#exposed.get(path) === uid) return true;
    if (nodeId === undefined) return false;
    const granted = this.#grants.get(nodeId);
    return granted?.has(path) === true && granted.get(path) === uid;
  }

  /** Forgets what a node was granted (it left the mesh). */
  forget(nodeId: string): void {
    this.#grants.delete(nodeId);
  }
}
