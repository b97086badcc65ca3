/**
 * The NATS transport's envelope: every NATS message it sends starts with 9 bytes, a kind and the receiving end's
 * connection id and token, then the kind's payload. One subscription per node (`<prefix>.<node>.>`) takes them all;
 * the id picks the connection and the token, random per connection, makes a connection's traffic unguessable to other
 * publishers on the subject.
 */

export const WireKind = {
  /** Dialer → listener, as a request: payload is the dialer's subject and address, `\n`-separated. */
  OPEN: 1,
  /** Listener → dialer, the reply to OPEN: payload is the listener's subject. */
  OPENED: 2,
  /** Frame bytes, in order; a frame may span messages. */
  DATA: 3,
  /** The sender has finished writing. */
  END: 4,
  /** The sender dropped the connection; payload is why, in UTF-8. */
  RESET: 5,
} as const;
export type WireKind = (typeof WireKind)[keyof typeof WireKind];

export const WIRE_HEAD_BYTES = 9;

export interface WireHead {
  kind: number;
  conn: number;
  token: number;
}

/** A message of `kind` for connection (`conn`, `token`) carrying `body`, as one buffer. */
export function encodeWire(kind: WireKind, conn: number, token: number, body: Uint8Array, start = 0, end = body.byteLength): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEAD_BYTES + end - start);
  out[0] = kind;
  out.writeUInt32BE(conn, 1);
  out.writeUInt32BE(token, 5);
  out.set(body.subarray(start, end), WIRE_HEAD_BYTES);
  return out;
}

/** The head of a message, or undefined for one too short or of no known kind. */
export function decodeWireHead(data: Uint8Array): WireHead | undefined {
  if (data.byteLength < WIRE_HEAD_BYTES) return undefined;
  const kind = data[0] as number;
  if (kind < WireKind.OPEN || kind > WireKind.RESET) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, WIRE_HEAD_BYTES);
  return { kind, conn: view.getUint32(1), token: view.getUint32(5) };
}

/** The payload after the head, without copying. */
export function wireBody(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset + WIRE_HEAD_BYTES, data.byteLength - WIRE_HEAD_BYTES);
}

/** A NATS subject token for a node id: characters outside `A-Za-z0-9_-` become `_`. */
export function subjectToken(nodeId: string): string {
  const token = nodeId.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}
