/** The record of a dead-lettered event: the original event's bytes, with where it came from and why in its metadata. */
import type { OutgoingEvent, StoredDelivery } from './events.ts';

/** Metadata keys a dead-lettered event carries. */
export const DeadLetterKey = {
  Topic: 'dead-letter-topic',
  Sequence: 'dead-letter-sequence',
  Deliveries: 'dead-letter-deliveries',
  Error: 'dead-letter-error',
  Group: 'dead-letter-group',
  /** The original content type, when the event could not be read with it (the dead letter is then octet-stream). */
  ContentType: 'dead-letter-content-type',
} as const;

/** The most characters of an error kept in a dead letter. */
const MAX_ERROR = 1024;

/** The dead letter of `d`; `unreadable` keeps its bytes as octet-stream, so a dead-letter consumer can read them. */
export function deadLetterEvent(d: StoredDelivery, deadLetterTopic: string, group: string, error: string, source: string, now: number, unreadable = false): OutgoingEvent {
  return {
    topic: deadLetterTopic,
    id: `${d.id}.${group}.dead`,
    dedupe: true,
    type: 'micromesh.dead-letter',
    source,
    key: d.key,
    time: now,
    contentType: unreadable ? 'application/octet-stream' : d.contentType,
    metadata: {
      ...(unreadable ? { [DeadLetterKey.ContentType]: d.contentType } : {}),
      ...d.metadata,
      [DeadLetterKey.Topic]: d.topic,
      [DeadLetterKey.Sequence]: String(d.sequence),
      [DeadLetterKey.Deliveries]: String(d.deliveryCount),
      [DeadLetterKey.Error]: error.slice(0, MAX_ERROR),
      [DeadLetterKey.Group]: group,
    },
    data: d.data,
  };
}
