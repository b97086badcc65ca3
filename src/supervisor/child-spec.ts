import type { Behavior, MailboxOptions, RestartType, SpawnOptions, SupervisorStrategy } from '../actors/index.ts';

/** One child of a supervisor (OTP child spec). */
// biome-ignore lint/suspicious/noExplicitAny: a supervisor holds children of any message type
export interface ChildSpec<M = any> {
  /** The child's name, unique under its supervisor. */
  id: string;
  /** The behaviour to spawn. */
  start: Behavior<M>;
  /** @default 'permanent' */
  restart?: RestartType;
  /** Time to stop gracefully before a forced stop. @default 5000 */
  shutdownMs?: number;
  mailbox?: MailboxOptions;
  /** How this child supervises its own children. */
  supervision?: SupervisorStrategy;
}

export function spawnOptionsOf(spec: ChildSpec): SpawnOptions {
  return {
    name: spec.id,
    restart: spec.restart ?? 'permanent',
    shutdownMs: spec.shutdownMs ?? 5000,
    mailbox: spec.mailbox,
    supervision: spec.supervision,
  };
}
