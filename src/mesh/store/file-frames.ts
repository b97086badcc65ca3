/**
 * The file store's log format. Each entry is a frame:
 *
 *   u32 payload length | u32 CRC-32 of the payload | payload
 *   payload = u8 op (1 put, 2 delete) | f64 revision | f64 expiresAt (-1: never) | u32 key length | key (UTF-8)
 *             | u32 metadata length | metadata (JSON) | value (the rest)
 *
 * all big-endian. A frame cut short or whose checksum fails ends the log: it and anything after it are dropped.
 */
import { crc32 } from 'node:zlib';
import type { StoreRecord } from './store.ts';

export const Op = { put: 1, delete: 2 } as const;
const HEADER = 8;

/** One log entry: a record written, or a key deleted. */
export type LogEntry = { op: 'put'; record: StoreRecord } | { op: 'delete'; key: string };

export function encodeEntry(entry: LogEntry): Buffer {
  const key = Buffer.from(entry.op === 'put' ? entry.record.key : entry.key, 'utf8');
  const meta = Buffer.from(entry.op === 'put' ? JSON.stringify(entry.record.metadata) : '{}', 'utf8');
  const value = entry.op === 'put' ? entry.record.value : new Uint8Array(0);
  const payloadLength = 1 + 8 + 8 + 4 + key.length + 4 + meta.length + value.length;
  const frame = Buffer.allocUnsafe(HEADER + payloadLength);
  let at = HEADER;
  at = frame.writeUInt8(entry.op === 'put' ? Op.put : Op.delete, at);
  at = frame.writeDoubleBE(entry.op === 'put' ? entry.record.revision : 0, at);
  at = frame.writeDoubleBE(entry.op === 'put' ? (entry.record.expiresAt ?? -1) : -1, at);
  at = frame.writeUInt32BE(key.length, at);
  at += key.copy(frame, at);
  at = frame.writeUInt32BE(meta.length, at);
  at += meta.copy(frame, at);
  frame.set(value, at);
  frame.writeUInt32BE(payloadLength, 0);
  frame.writeUInt32BE(crc32(frame.subarray(HEADER)), 4);
  return frame;
}

export interface Replay {
  readonly entries: LogEntry[];
  /** Bytes of whole, valid frames from the start: where the log is cut when `torn`. */
  readonly validBytes: number;
  /** True when bytes after `validBytes` were cut short or failed their checksum. */
  readonly torn: boolean;
}

/** Reads every valid frame of a log, stopping at the first torn or corrupt one. */
export function decodeLog(data: Buffer): Replay {
  const entries: LogEntry[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER) break;
    const length = data.readUInt32BE(at);
    const end = at + HEADER + length;
    if (end > data.length) break;
    const payload = data.subarray(at + HEADER, end);
    if (crc32(payload) !== data.readUInt32BE(at + 4)) break;
    const entry = decodePayload(payload);
    if (entry === undefined) break;
    entries.push(entry);
    at = end;
  }
  return { entries, validBytes: at, torn: at < data.length };
}

function decodePayload(p: Buffer): LogEntry | undefined {
  try {
    const op = p.readUInt8(0);
    const revision = p.readDoubleBE(1);
    const expiresAt = p.readDoubleBE(9);
    const keyLength = p.readUInt32BE(17);
    const key = p.toString('utf8', 21, 21 + keyLength);
    const metaAt = 21 + keyLength;
    const metaLength = p.readUInt32BE(metaAt);
    if (op === Op.delete) return { op: 'delete', key };
    if (op !== Op.put) return undefined;
    const metadata = JSON.parse(p.toString('utf8', metaAt + 4, metaAt + 4 + metaLength)) as Record<string, string>;
    const value = new Uint8Array(p.subarray(metaAt + 4 + metaLength));
    return { op: 'put', record: { key, value, metadata, revision, expiresAt: expiresAt < 0 ? undefined : expiresAt } };
  } catch {
    return undefined;
  }
}
