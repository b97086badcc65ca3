import type { SupervisorStrategy } from './strategy.ts';
import type { OverflowPolicy, RestartType } from './types.ts';

/** Where a cell is in its life. A cell only moves forward, except Suspended ⇄ Running while its supervisor decides. */
export const Status = { New: 0, Running: 1, Suspended: 2, Stopping: 3, Stopped: 4 } as const;
export type Status = (typeof Status)[keyof typeof Status];

/** A cell's settings, fixed at spawn. */
export interface CellOptions {
  capacity: number;
  overflow: OverflowPolicy;
  strategy: SupervisorStrategy | undefined;
  restart: RestartType;
  shutdownMs: number;
  throughput: number;
}
