import { randomFillSync } from 'node:crypto';

const TOKEN_BYTES = 12;
const TOKENS_PER_FILL = 256;

/**
 * Unguessable tokens: 96 random bits from node:crypto, as 16 base64url characters (valid in an actor path).
 * The random bytes are drawn in batches, so a token costs a slice of a buffer, not a system call.
 */
export class RandomTokens {
  readonly #pool = Buffer.allocUnsafe(TOKEN_BYTES * TOKENS_PER_FILL);
  #offset = this.#pool.length;

  next(): string {
    if (this.#offset === this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const start = this.#offset;
    this.#offset = start + TOKEN_BYTES;
    return this.#pool.toString('base64url', start, start + TOKEN_BYTES);
  }
}
