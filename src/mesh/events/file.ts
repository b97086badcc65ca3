/**
 * `file`: the embedded default. Two append logs under a directory (`.micromesh/events`): `events.log` holds every
 * event, `groups.log` each group's start, every batch of deliveries (so delivery counts survive a restart) and every
 * settled sequence. Both are CRC-framed; a torn last record is
 * dropped on open. A publish resolves once its record is fsynced (`fsync` policy); a settle is written before it
 * resolves, so an acked event survives a crash of the process. Opened on first use; one process owns the directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, systemClock } from '../../actors/clock.ts';
import { type Logger, silentLogger } from '../../actors/logger.ts';
import type { EventSource, EventsBackend, GroupSettings, OutgoingEvent } from './events.ts';
import { FrameLog, type FsyncPolicy } from './frame-log.ts';
import { createLogEngine, type LogPersistence, type LogSnapshot, type StoredRecord } from './log-engine.ts';

export interface FileEventsOptions {
  /** Where the logs live. @default '.micromesh/events' */
  directory?: string;
  /** When a publish is acknowledged: after its own fsync, after a shared one (group commit), or after the write only. @default 'batch' */
  fsync?: FsyncPolicy;
  /** Timers of ack waits and redeliveries. @default systemClock */
  clock?: Clock;
  /** How long a consumer's read waits for events before it asks again. @default 1000 */
  pollMs?: number;
  /** @default silentLogger */
  logger?: Logger;
}

export function defaultFileEventsOptions() {
  return { directory: '.micromesh/events', fsync: 'batch' as FsyncPolicy, pollMs: 1000 };
}

function encodeRecord(r: StoredRecord): Buffer {
  const head = Buffer.from(JSON.stringify({ s: r.sequence, t: r.topic, i: r.id, d: r.dedupe ? 1 : undefined, k: r.key, y: r.type, o: r.source, m: r.time, c: r.contentType, h: r.metadata }));
  const out = Buffer.allocUnsafe(4 + head.length + r.data.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  out.set(r.data, 4 + head.length);
  return out;
}

function decodeRecord(p: Buffer): StoredRecord {
  const length = p.readUInt32BE(0);
  const h = JSON.parse(p.toString('utf8', 4, 4 + length));
  return { sequence: h.s, topic: h.t, id: h.i, dedupe: h.d === 1, key: h.k, type: h.y, source: h.o, time: h.m, contentType: h.c, metadata: h.h, data: new Uint8Array(p.subarray(4 + length)) };
}

async function openPersistence(o: ReturnType<typeof defaultFileEventsOptions> & { logger: Logger }): Promise<{ persistence: LogPersistence; snapshot: LogSnapshot }> {
  await mkdir(o.directory, { recursive: true });
  const events = await FrameLog.open(join(o.directory, 'events.log'), o.fsync, o.logger);
  const groups = await FrameLog.open(join(o.directory, 'groups.log'), o.fsync, o.logger).catch(async (err: unknown) => {
    await events.log.close();
    throw err;
  });
  const records = events.payloads.map(decodeRecord);
  const state: LogSnapshot['groups'] = new Map();
  for (const p of groups.payloads) {
    const op = JSON.parse(p.toString('utf8')) as { g: string; s?: number; a?: number; d?: number[] };
    const group = state.get(op.g);
    if (op.s !== undefined) state.set(op.g, { start: op.s, settled: new Set(), delivered: new Map() });
    else if (group === undefined) continue;
    else if (op.a !== undefined) {
      group.settled.add(op.a);
      group.delivered.delete(op.a);
    } else if (op.d !== undefined) for (const s of op.d) if (!group.settled.has(s)) group.delivered.set(s, (group.delivered.get(s) ?? 0) + 1);
  }
  const persistence: LogPersistence = {
    appendEvent: (record) => events.log.append(encodeRecord(record)),
    createGroup: (name, start) => groups.log.append(Buffer.from(JSON.stringify({ g: name, s: start }))),
    settle: (name, sequence) => groups.log.append(Buffer.from(JSON.stringify({ g: name, a: sequence }))),
    delivered: (name, sequences) => groups.log.append(Buffer.from(JSON.stringify({ g: name, d: sequences }))),
    close: async () => {
      await events.log.close();
      await groups.log.close();
    },
  };
  return { persistence, snapshot: { records, groups: state } };
}

/**
 * @example
 * const node = await createNode({ events: 'file:///var/lib/app/events', eventsOptions: { file: { fsync: 'each' } } });
 */
export function createFileEvents(options: FileEventsOptions = {}): EventsBackend {
  const o = { ...defaultFileEventsOptions(), ...options, logger: options.logger ?? silentLogger };
  let engine: Promise<EventsBackend> | undefined;
  let closed = false;
  const opened = (): Promise<EventsBackend> => {
    engine ??= openPersistence(o).then(
      ({ persistence, snapshot }) => createLogEngine({ name: 'file', clock: options.clock ?? systemClock, now: Date.now, pollMs: o.pollMs, persistence, snapshot }),
      (err: unknown) => {
        engine = undefined; // a later call tries again (the owner may have gone)
        throw err;
      },
    );
    return engine;
  };
  return {
    name: 'file',
    wildcards: true,
    append: async (event: OutgoingEvent) => (await opened()).append(event),
    open: async (topic: string, settings: GroupSettings): Promise<EventSource> => (await opened()).open(topic, settings),
    close: async () => {
      if (closed) return;
      closed = true;
      if (engine !== undefined) await (await engine.catch(() => undefined))?.close();
    },
  };
}
