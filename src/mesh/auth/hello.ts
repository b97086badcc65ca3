/**
 * Signed HELLOs: a node proves its id with a short-lived JWT over the connection's nonce and its address, signed
 * with the issuer's key. The other side checks the signature against the trusted keys, that the proof names what
 * the HELLO claims, and that the nonce was not used before (a captured HELLO cannot be replayed).
 */
import type { KeyObject } from 'node:crypto';
import { MicroError } from '../errors.ts';
import type { HelloIdentity } from './auth.ts';
import { signJwtSync, verifyJwtSignature } from './jwt.ts';

export interface HelloIdentityOptions {
  /** Signs this node's proofs. */
  privateKey: KeyObject;
  keys: readonly KeyObject[];
  issuer: string;
  /** Epoch ms now. */
  now: () => number;
  /** How long a proof is valid; nonces are remembered this long. @default 60000 */
  validForMs?: number;
  /** Nonces remembered at most; past it the oldest are forgotten (they expire first). @default 65536 */
  maxNonces?: number;
  /** How far the peers' clocks may disagree: a proof is accepted this long past its expiry. @default 30000 */
  clockToleranceMs?: number;
}

export function createHelloIdentity(o: HelloIdentityOptions): HelloIdentity {
  const validForMs = o.validForMs ?? 60_000;
  const maxNonces = o.maxNonces ?? 65_536;
  const tolerance = o.clockToleranceMs ?? 30_000;
  const seen = new Map<string, number>();
  const forgetExpired = (now: number): void => {
    for (const [nonce, until] of seen) {
      if (until > now && seen.size < maxNonces) return;
      seen.delete(nonce);
    }
  };
  return {
    prove({ nodeId, address, nonce }) {
      const now = Math.floor(o.now() / 1000);
      const payload = { iss: o.issuer, sub: nodeId, typ: 'hello', addr: address, nonce: Buffer.from(nonce).toString('base64url'), iat: now, exp: now + Math.ceil(validForMs / 1000) };
      return signJwtSync(payload, o.privateKey);
    },
    check({ nodeId, address, nonce }, proof) {
      if (proof === undefined) throw new MicroError('UNAUTHORIZED', `HELLO of ${nodeId} is not signed`);
      const claims = verifyJwtSignature(proof, o.keys, 4096);
      const now = o.now();
      const nonceText = Buffer.from(nonce).toString('base64url');
      if (claims.iss !== o.issuer || claims.typ !== 'hello') throw new MicroError('UNAUTHORIZED', 'HELLO proof is not from the trusted issuer');
      if (claims.sub !== nodeId || claims.addr !== address || claims.nonce !== nonceText) throw new MicroError('UNAUTHORIZED', `HELLO proof does not name node ${nodeId} at this connection`);
      if (typeof claims.exp !== 'number' || claims.exp * 1000 + tolerance <= now) throw new MicroError('UNAUTHORIZED', 'HELLO proof expired');
      forgetExpired(now);
      if (seen.has(nonceText)) throw new MicroError('UNAUTHORIZED', `HELLO of ${nodeId} replays a nonce already used`);
      seen.set(nonceText, claims.exp * 1000 + tolerance);
    },
  };
}
