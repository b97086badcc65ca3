/**
 * NATS header blocks (`NATS/1.0` status line, `name: value` lines, a blank line) for the NATS broker, handed to
 * nats.js as they are: its publish only calls `encode()` on the headers it is given, and building its MsgHdrs key
 * by key cost more than the rest of a publish.
 */
import type { MsgHdrs } from 'nats';
import type { BrokerMessage } from '../../mesh/broker/broker.ts';
import { encodeHeaderValue, SPEC_VERSION } from '../../mesh/broker/cloudevents.ts';

/** A header block nats.js sends as it is. */
export class HeaderBlock {
  constructor(readonly bytes: Uint8Array) {}

  encode(): Uint8Array {
    return this.bytes;
  }
}

/** A block of the given header lines (`name: value\r\n` each). */
export const headerBlock = (lines: string): MsgHdrs => new HeaderBlock(Buffer.from(`NATS/1.0\r\n${lines}\r\n`, 'latin1')) as unknown as MsgHdrs;

const SLAB_BYTES = 64 * 1024;
const HEAD = Buffer.from(`NATS/1.0\r\nce-specversion: ${SPEC_VERSION}\r\nce-id: `, 'latin1');
const CRLF = 0x0a0d;

/**
 * Writes binary-mode CloudEvents header blocks, byte for byte `NATS/1.0\r\n` + `binaryHeaderLines(m)` + `\r\n`,
 * without building that text per message: the lines after `ce-id` (source, type, time, content type) are the same
 * for a run of messages (the time changes once a millisecond), so they are encoded once and copied until one of
 * them changes. Blocks are cut from a shared slab and never written again once handed out (nats.js keeps them
 * until its next write); a full slab is left to the blocks that use it and a new one taken.
 */
export class BinaryBlockWriter {
  #slab = Buffer.allocUnsafe(SLAB_BYTES);
  #at = 0;
  #source = '';
  #type = '';
  #time = '';
  #contentType = '';
  /** `\r\nce-source: …\r\nce-type: …\r\nce-time: …\r\ncontent-type: …\r\n` for the fields above. */
  #tail: Buffer = Buffer.alloc(0);

  block(m: BrokerMessage): MsgHdrs {
    if (m.source !== this.#source || m.type !== this.#type || m.time !== this.#time || m.contentType !== this.#contentType) {
      this.#source = m.source;
      this.#type = m.type;
      this.#time = m.time;
      this.#contentType = m.contentType;
      this.#tail = Buffer.from(`\r\nce-source: ${encodeHeaderValue(m.source)}\r\nce-type: ${encodeHeaderValue(m.type)}\r\nce-time: ${m.time}\r\ncontent-type: ${m.contentType}\r\n`, 'latin1');
    }
    const id = encodeHeaderValue(m.id);
    let meta = '';
    for (const k in m.metadata) meta += `${k}: ${encodeHeaderValue(m.metadata[k] as string)}\r\n`;
    const tail = this.#tail;
    const size = HEAD.length + id.length + tail.length + meta.length + 2;
    if (size > SLAB_BYTES / 4) return headerBlockOf(Buffer.concat([HEAD, Buffer.from(id, 'latin1'), tail, Buffer.from(`${meta}\r\n`, 'latin1')]));
    if (this.#at + size > SLAB_BYTES) {
      this.#slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.#at = 0;
    }
    const slab = this.#slab;
    const start = this.#at;
    let at = start;
    slab.set(HEAD, at);
    at += HEAD.length;
    // The id is ASCII once encoded; a loop beats a native write for a few bytes.
    for (let i = 0; i < id.length; i++) slab[at++] = id.charCodeAt(i);
    slab.set(tail, at);
    at += tail.length;
    if (meta !== '') at += slab.write(meta, at, 'latin1');
    slab.writeUInt16LE(CRLF, at);
    at += 2;
    this.#at = at;
    // A plain view: Buffer's subarray costs more, and nats.js only copies from it.
    return headerBlockOf(new Uint8Array(slab.buffer, slab.byteOffset + start, at - start));
  }
}

const headerBlockOf = (bytes: Uint8Array): MsgHdrs => new HeaderBlock(bytes) as unknown as MsgHdrs;
