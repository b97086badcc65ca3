/**
 * A bounded picture of a system's actor tree, for `micro inspect` and the dashboard: each actor's path, state,
 * behaviour class, mailbox depth and restart count. The walk stops at `maxActors` actors and `maxDepth` levels and
 * says how many children it left out, so a node with a million actors answers with a few kilobytes.
 */
import type { Cell } from './cell.ts';

export type ActorState = 'new' | 'running' | 'suspended' | 'stopping' | 'stopped';

export interface ActorSnapshot {
  readonly name: string;
  readonly path: string;
  readonly state: ActorState;
  /** The behaviour's class name (`Supervisor`, `ServiceInstance`…), or `actor` for a plain function. */
  readonly kind: string;
  /** User messages waiting. */
  readonly mailbox: number;
  readonly restarts: number;
  readonly children: readonly ActorSnapshot[];
  /** Children not shown because a limit was reached. */
  readonly omitted?: number;
}

export interface SnapshotLimits {
  /** Actors described at most, the root included. @default 2000 */
  maxActors?: number;
  /** Levels below the root described at most. @default 16 */
  maxDepth?: number;
}

export interface TreeSnapshot {
  readonly root: ActorSnapshot;
  /** Actors described. */
  readonly actors: number;
  /** True when a limit left some actors out. */
  readonly truncated: boolean;
}

const STATES: readonly ActorState[] = ['new', 'running', 'suspended', 'stopping', 'stopped'];

function kindOf(cell: Cell): string {
  const name = (cell.actor as object | undefined)?.constructor?.name;
  return name === undefined || name === '' || name === 'Object' ? 'actor' : name;
}

/** Walks the tree under `root` breadth-first, so a limit cuts the deepest and latest actors first. */
export function snapshotTree(root: Cell, limits: SnapshotLimits = {}): TreeSnapshot {
  const maxActors = Math.max(1, limits.maxActors ?? 2000);
  const maxDepth = Math.max(0, limits.maxDepth ?? 16);
  interface Draft {
    cell: Cell;
    depth: number;
    children: Draft[];
    omitted: number;
  }
  const top: Draft = { cell: root, depth: 0, children: [], omitted: 0 };
  const queue: Draft[] = [top];
  let count = 1;
  let truncated = false;
  for (let i = 0; i < queue.length; i++) {
    const draft = queue[i] as Draft;
    const kids = draft.cell.children.inOrder();
    for (const kid of kids) {
      if (draft.depth >= maxDepth || count >= maxActors) {
        draft.omitted++;
        truncated = true;
        continue;
      }
      const child: Draft = { cell: kid, depth: draft.depth + 1, children: [], omitted: 0 };
      draft.children.push(child);
      queue.push(child);
      count++;
    }
  }
  const build = (d: Draft): ActorSnapshot => ({
    name: d.cell.name === '' ? '/' : d.cell.name,
    path: d.cell.path,
    // The root never runs a start of its own: it lives as long as the system.
    state: d.cell.parent === undefined ? 'running' : (STATES[d.cell.status] ?? 'stopped'),
    kind: kindOf(d.cell),
    mailbox: d.cell.mailbox.userLength,
    restarts: d.cell.restarts,
    children: d.children.map(build),
    ...(d.omitted > 0 ? { omitted: d.omitted } : {}),
  });
  return { root: build(top), actors: count, truncated };
}
