import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTransferPackr, ownedBytes } from '../../../../src/mesh/codec/transfer.ts';

test('transfer — a Buffer view is copied, never shared with its owner', () => {
  const owner = Buffer.from([0, 1, 2, 3, 4, 5]);
  const view = owner.subarray(2, 4);
  const owned = ownedBytes(view);
  assert.notEqual(owned.buffer, owner.buffer);
  assert.equal(owned.byteLength, owned.buffer.byteLength);
  assert.deepEqual([...owned], [2, 3]);
});

test('transfer — bytes that fill their own buffer are not copied', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  assert.equal(ownedBytes(bytes), bytes);
});

test('transfer — decoded values survive the transfer format between two instances', () => {
  const value = { rows: [{ a: 1, b: 'x' }, { a: 2, b: 'y' }], blob: Buffer.from([7]), big: 2n ** 60n, none: null, nan: Number.NaN };
  const copy = createTransferPackr().unpack(createTransferPackr().pack(value));
  assert.deepStrictEqual(copy, value);
});
