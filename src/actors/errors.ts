/**
 * Errors raised by the actor kernel. Each has a stable `code` (listed in {@link ActorErrorCodes}, documented in
 * docs/errors.md) and a `retryable` flag; the mesh maps them onto MicroError when they cross the wire.
 */
export const ActorErrorCodes = {
  ASK_TIMEOUT: 'ASK_TIMEOUT',
  ASK_ABORTED: 'ASK_ABORTED',
  ACTOR_STOPPED: 'ACTOR_STOPPED',
  MAILBOX_FULL: 'MAILBOX_FULL',
  ACTOR_FAILED: 'ACTOR_FAILED',
  INVALID_NAME: 'INVALID_NAME',
  SYSTEM_STOPPED: 'SYSTEM_STOPPED',
  INVALID_TIMEOUT: 'INVALID_TIMEOUT',
  REMOTE_DENIED: 'REMOTE_DENIED',
} as const;
export type ActorErrorCode = (typeof ActorErrorCodes)[keyof typeof ActorErrorCodes];

export class ActorError extends Error {
  readonly code: ActorErrorCode;
  readonly retryable: boolean;
  constructor(code: ActorErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ActorError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/** An ask got no reply in time. Names the target, the message type and the timeout. */
export class AskTimeoutError extends ActorError {
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super(ActorErrorCodes.ASK_TIMEOUT, `ask to ${target} (${messageType}) timed out after ${timeoutMs} ms`);
    this.name = 'AskTimeoutError';
  }
}

/** The target is stopped or unknown, so the message became a dead letter. */
export class ActorStoppedError extends ActorError {
  constructor(readonly target: string, readonly messageType: string) {
    super(ActorErrorCodes.ACTOR_STOPPED, `${target} is stopped or unknown; ${messageType} became a dead letter`);
    this.name = 'ActorStoppedError';
  }
}

/** The target's mailbox refused the message (overflow). */
export class MailboxFullError extends ActorError {
  constructor(readonly target: string, readonly capacity: number) {
    super(ActorErrorCodes.MAILBOX_FULL, `mailbox of ${target} is full (capacity ${capacity})`, { retryable: true });
    this.name = 'MailboxFullError';
  }
}

/** The target failed while handling the asked message; `cause` is its error. */
export class ActorFailedError extends ActorError {
  constructor(readonly target: string, cause: unknown) {
    super(ActorErrorCodes.ACTOR_FAILED, `${target} failed handling the message: ${describe(cause)}`, { cause });
    this.name = 'ActorFailedError';
  }
}

export class InvalidActorNameError extends ActorError {
  constructor(name: string, why: string) {
    super(ActorErrorCodes.INVALID_NAME, `invalid actor name ${JSON.stringify(name)}: ${why}`);
    this.name = 'InvalidActorNameError';
  }
}

/** An ask's `timeoutMs` is not a finite number of milliseconds >= 0. */
export class InvalidTimeoutError extends ActorError {
  constructor(readonly timeoutMs: unknown) {
    super(ActorErrorCodes.INVALID_TIMEOUT, `invalid ask timeout ${String(timeoutMs)}: use a finite number of milliseconds >= 0`);
    this.name = 'InvalidTimeoutError';
  }
}

/** A message from another node reached an actor that takes messages from its own node only (a supervisor). */
export class RemoteDeniedError extends ActorError {
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly origin: string,
  ) {
    super(ActorErrorCodes.REMOTE_DENIED, `${target} takes ${messageType} from its own node only; refused from ${origin}`);
    this.name = 'RemoteDeniedError';
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short name for a message's type, used in errors and dead-letter events. */
export function messageTypeOf(message: unknown): string {
  if (message === null) return 'null';
  if (typeof message !== 'object') return typeof message;
  const t = (message as { type?: unknown }).type;
  if (typeof t === 'string') return t;
  return (message as object).constructor?.name ?? 'object';
}
