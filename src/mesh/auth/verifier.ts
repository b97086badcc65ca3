/** Token verification with a bounded cache: a token seen before costs one map lookup until it expires. */
import type { KeyObject } from 'node:crypto';
import type { VerifiedToken } from './auth.ts';
import { accountOf, verifyJwtSignature } from './jwt.ts';
import { MicroError } from '../errors.ts';

export interface TokenVerifierOptions {
  /** Keys of the trusted issuer. */
  keys: readonly KeyObject[];
  issuer: string;
  /** Epoch ms now. */
  now: () => number;
  /** Tokens kept verified; past it the oldest entry goes first (a live token is verified again on its next use). */
  cacheSize: number;
  /** Longer tokens are refused before any parsing. */
  maxTokenBytes: number;
}

export interface TokenVerifier {
  verify(token: string): VerifiedToken;
  readonly cached: number;
}

export function createTokenVerifier(o: TokenVerifierOptions): TokenVerifier {
  const cache = new Map<string, VerifiedToken>();
  // The token verified last, compared before the map: one caller's token is the common case, and comparing it costs
  // less than hashing a fresh copy of it.
  let lastToken: string | undefined;
  let last: VerifiedToken | undefined;
  return {
    get cached() {
      return cache.size;
    },
    verify(token) {
      const hit = token === lastToken ? last : cache.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt > o.now()) {
          lastToken = token;
          last = hit;
          return hit;
        }
        if (token === lastToken) lastToken = last = undefined;
        cache.delete(token);
        throw new MicroError('UNAUTHORIZED', 'token expired');
      }
      const verified = accountOf(verifyJwtSignature(token, o.keys, o.maxTokenBytes), o.issuer, o.now());
      if (o.cacheSize > 0) {
        if (cache.size >= o.cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(token, verified);
      }
      return verified;
    },
  };
}

/** Epoch ms read from a (possibly simulated) monotonic clock: wall time at creation plus the clock's progress. */
export function wallTime(clock: { now(): number }): () => number {
  const epoch = Date.now();
  const start = clock.now();
  return () => epoch + (clock.now() - start);
}
