import { ActorError, type ActorErrorCode } from '../actors/errors.ts';

/**
 * The one error model of the mesh. Every error that crosses the wire is a {@link MicroError}
 * in go-micro's shape `{ id, code, detail, status }`; in code each one also has a stable string
 * `reason` (listed in {@link ErrorReasons}, documented in docs/errors.md) and a `retryable` flag
 * that retry logic reads instead of message text.
 */

/** HTTP-style status codes used on the wire, as go-micro does. */
export const StatusCodes = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const;
export type StatusCode = keyof typeof StatusCodes;

/** Every stable reason, its status code, and whether a retry on another node may help. */
export const ErrorReasons = {
  BAD_REQUEST: { code: 400, retryable: false },
  DECODE_FAILED: { code: 400, retryable: false },
  CONFIG_INVALID: { code: 400, retryable: false },
  UNAUTHORIZED: { code: 401, retryable: false },
  FORBIDDEN: { code: 403, retryable: false },
  NOT_FOUND: { code: 404, retryable: false },
  SERVICE_NOT_FOUND: { code: 404, retryable: false },
  ENDPOINT_NOT_FOUND: { code: 404, retryable: false },
  ACTOR_NOT_FOUND: { code: 404, retryable: false },
  METHOD_NOT_ALLOWED: { code: 405, retryable: false },
  TIMEOUT: { code: 408, retryable: false },
  LOCK_TIMEOUT: { code: 408, retryable: false },
  CONFLICT: { code: 409, retryable: false },
  PAYLOAD_TOO_LARGE: { code: 413, retryable: false },
  OVERLOADED: { code: 503, retryable: true },
  CANCELLED: { code: 499, retryable: false },
  INTERNAL: { code: 500, retryable: false },
  UNAVAILABLE: { code: 503, retryable: true },
  CONNECT_FAILED: { code: 503, retryable: true },
  NODE_GONE: { code: 503, retryable: true },
  DRAINING: { code: 503, retryable: true },
  CIRCUIT_OPEN: { code: 503, retryable: true },
  FRAME_TOO_LARGE: { code: 400, retryable: false },
  FRAME_GARBLED: { code: 400, retryable: false },
  PROTOCOL_ERROR: { code: 400, retryable: false },
} as const satisfies Record<string, { code: StatusCode; retryable: boolean }>;
export type ErrorReason = keyof typeof ErrorReasons;

/**
 * How an actor kernel error crosses the wire: the MicroError reason (and so the status and `retryable`) of each
 * ActorError code. `MicroError.from` reads it; docs/errors.md lists it; a test fails when a code has no entry.
 */
export const ActorErrorReasons = {
  ASK_TIMEOUT: 'TIMEOUT',
  ASK_ABORTED: 'CANCELLED',
  ACTOR_STOPPED: 'ACTOR_NOT_FOUND',
  MAILBOX_FULL: 'OVERLOADED',
  ACTOR_FAILED: 'INTERNAL',
  INVALID_NAME: 'BAD_REQUEST',
  SYSTEM_STOPPED: 'UNAVAILABLE',
  INVALID_TIMEOUT: 'BAD_REQUEST',
  REMOTE_DENIED: 'FORBIDDEN',
} as const satisfies Record<ActorErrorCode, ErrorReason>;

/** The wire form of an error: go-micro's JSON shape plus the stable reason. */
export interface MicroErrorJSON {
  id: string;
  code: number;
  detail: string;
  status: string;
  reason?: string;
}

export interface MicroErrorOptions {
  /** Who raised it: a service name, node id or `micromesh`. @default 'micromesh' */
  id?: string;
  cause?: unknown;
}

export class MicroError extends Error {
  readonly id: string;
  readonly code: number;
  readonly detail: string;
  readonly status: string;
  readonly reason: ErrorReason;
  readonly retryable: boolean;

  constructor(reason: ErrorReason, detail: string, options: MicroErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = ErrorReasons[reason] ?? ErrorReasons.INTERNAL;
    this.name = 'MicroError';
    this.id = options.id ?? 'micromesh';
    this.reason = reason in ErrorReasons ? reason : 'INTERNAL';
    this.code = entry.code;
    this.detail = detail;
    this.status = StatusCodes[entry.code];
    this.retryable = entry.retryable;
  }

  toJSON(): MicroErrorJSON {
    return { id: this.id, code: this.code, detail: this.detail, status: this.status, reason: this.reason };
  }

  override toString(): string {
    return `MicroError ${this.code} ${this.reason} (${this.id}): ${this.detail}`;
  }

  /** Rebuild an error from its wire form; an unknown reason maps by status code. */
  static fromJSON(json: Partial<MicroErrorJSON>): MicroError {
    const reason = json.reason && json.reason in ErrorReasons ? (json.reason as ErrorReason) : reasonForCode(json.code);
    return new MicroError(reason, String(json.detail ?? 'unknown error'), { id: json.id });
  }

  /**
   * Any thrown value as a MicroError: an ActorError by its code through {@link ActorErrorReasons}, a plain error
   * becomes 500 with its message.
   */
  static from(err: unknown, id?: string): MicroError {
    if (err instanceof MicroError) return err;
    if (err instanceof ActorError) return new MicroError(ActorErrorReasons[err.code] ?? 'INTERNAL', err.message, { id, cause: err });
    if (err instanceof Error) return new MicroError('INTERNAL', err.message, { id, cause: err });
    return new MicroError('INTERNAL', String(err), { id, cause: err });
  }
}

function reasonForCode(code: number | undefined): ErrorReason {
  switch (code) {
    case 400: return 'BAD_REQUEST';
    case 401: return 'UNAUTHORIZED';
    case 403: return 'FORBIDDEN';
    case 404: return 'NOT_FOUND';
    case 405: return 'METHOD_NOT_ALLOWED';
    case 408: return 'TIMEOUT';
    case 409: return 'CONFLICT';
    case 413: return 'PAYLOAD_TOO_LARGE';
    case 429: return 'OVERLOADED';
    case 499: return 'CANCELLED';
    case 503: return 'UNAVAILABLE';
    default: return 'INTERNAL';
  }
}

export const isMicroError = (err: unknown): err is MicroError => err instanceof MicroError;
