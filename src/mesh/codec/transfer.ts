/**
 * How a decoded value crosses from a codec worker back to the main thread.
 *
 * Not structured clone: V8's deserializer rebuilds an object graph 1.5–3× slower than the main
 * thread could have decoded the body itself (bench/suites/codec.ts), so offloading would cost
 * the event loop more, not less. The worker instead re-packs the value with msgpackr records,
 * which the main thread unpacks 3–4× faster than JSON.parse, msgpack maps or protobufjs. Buffers
 * arrive as Buffers, BigInts as BigInts; the known losses are edge cases: `-0` becomes `0`, a lone
 * UTF-16 surrogate becomes U+FFFD, and a `__proto__` key becomes `__proto_` (msgpackr's guard).
 */
import { Packr } from 'msgpackr';

/** The packer/unpacker for the transfer format; one per thread. */
export function createTransferPackr(): Packr {
  return new Packr({
    useRecords: true,
    mapsAsObjects: true,
    structuredClone: false,
    moreTypes: false,
    int64AsType: 'auto' as unknown as 'bigint',
  });
}

/**
 * The bytes in an ArrayBuffer of their own, safe to transfer: as is when they already fill one,
 * otherwise copied. (Not `bytes.slice()`: on a Buffer that is another view of the same memory,
 * and transferring it would detach the owner's buffer.)
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes;
  }
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
