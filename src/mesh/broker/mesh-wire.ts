/**
 * The PUBLISH frame of the mesh-native broker: a msgpack header `[topic, contentType|0, metadata, id, source, type,
 * time, queues]` and the encoded body. `queues` names the queue groups this node was chosen for. The receiving node
 * answers on the frame's stream id: RESPONSE (empty) once every local delivery was accepted, else ERROR.
 */
import { MicroError } from '../errors.ts';
import { sanitizeMetadata } from '../metadata.ts';
import { pack } from '../protocol.ts';
import { Packr } from 'msgpackr';
import type { BrokerMessage } from './broker.ts';

const JSON_TYPE = 'application/json';
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function encodePublish(m: BrokerMessage, queues: readonly string[]): Uint8Array {
  return pack([m.topic, m.contentType === JSON_TYPE ? 0 : m.contentType, m.metadata, m.id, m.source, m.type, m.time, queues]);
}

function text(v: unknown, what: string, max = 1024): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new MicroError('PROTOCOL_ERROR', `bad ${what} in publish header`);
  return v;
}

/** Decodes a PUBLISH header; a header of the wrong shape is a PROTOCOL_ERROR. */
export function decodePublish(header: Uint8Array, body: Uint8Array): { message: BrokerMessage; queues: string[] } {
  let v: unknown;
  try {
    v = packr.unpack(header);
  } catch (err) {
    throw new MicroError('PROTOCOL_ERROR', 'garbled publish header', { cause: err });
  }
  if (!Array.isArray(v) || v.length !== 8) throw new MicroError('PROTOCOL_ERROR', 'publish header is not a list of 8');
  const [topic, ct, metadata, id, source, type, time, queues] = v as unknown[];
  if (!Array.isArray(queues) || queues.length > 1024) throw new MicroError('PROTOCOL_ERROR', 'bad queue list in publish header');
  return {
    message: {
      topic: text(topic, 'topic', 255),
      body,
      contentType: ct === 0 ? JSON_TYPE : text(ct, 'content type'),
      metadata: sanitizeMetadata(metadata),
      id: text(id, 'id'),
      source: text(source, 'source'),
      type: text(type, 'type'),
      time: text(time, 'time'),
    },
    queues: queues.map((q) => text(q, 'queue group', 128)),
  };
}
