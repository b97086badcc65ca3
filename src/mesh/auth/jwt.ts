/**
 * Ed25519 JWTs: issued with jose, verified synchronously with node's crypto (jose's own path on Node), so a check
 * fits the synchronous actor-message hook and keeps message order. Everything about a token that can be wrong is a
 * 401 UNAUTHORIZED naming what: size, shape, `alg`, signature, issuer, expiry, claims.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { MicroError } from '../errors.ts';
import type { Account, VerifiedToken } from './auth.ts';

const ALGS = new Set(['EdDSA', 'Ed25519']);
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Signs `account` as a JWT valid from `nowMs` for `ttlMs`. */
export function issueJwt(account: Account, key: KeyObject, o: { issuer: string; nowMs: number; ttlMs: number }): Promise<string> {
  const iat = Math.floor(o.nowMs / 1000);
  return new SignJWT({ type: account.type, scopes: [...account.scopes], metadata: { ...account.metadata } })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(account.id)
    .setIssuer(o.issuer)
    .setIssuedAt(iat)
    .setExpirationTime(Math.floor((o.nowMs + o.ttlMs) / 1000))
    .sign(key);
}

/** Signs a payload synchronously (the HELLO proof, made while a connection opens). */
export function signJwtSync(payload: Record<string, unknown>, key: KeyObject): string {
  const head = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = sign(null, Buffer.from(`${head}.${body}`), key).toString('base64url');
  return `${head}.${body}.${signature}`;
}

const unauthorized = (detail: string): MicroError => new MicroError('UNAUTHORIZED', detail);

/** The claims of a compact JWS signed by one of `keys`; UNAUTHORIZED for anything else. */
export function verifyJwtSignature(token: unknown, keys: readonly KeyObject[], maxBytes: number): Record<string, unknown> {
  if (typeof token !== 'string' || token.length === 0) throw unauthorized('no token');
  if (token.length > maxBytes) throw unauthorized(`token of ${token.length} bytes is over the ${maxBytes}-byte limit`);
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) throw unauthorized('token is not a compact JWT');
  let alg: unknown;
  let claims: Record<string, unknown>;
  try {
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    throw unauthorized('token is not a valid JWT');
  }
  if (!ALGS.has(alg as string)) throw unauthorized(`token alg ${JSON.stringify(alg ?? 'none')} is not accepted (EdDSA only)`);
  const input = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2] as string, 'base64url');
  if (!keys.some((key) => verify(null, input, key, signature))) throw unauthorized('token signature does not match a trusted key');
  return claims;
}

/** An account token's claims checked: issuer, expiry (required), not-before, and the account's shape. */
export function accountOf(claims: Record<string, unknown>, issuer: string, nowMs: number): VerifiedToken {
  if (claims.iss !== issuer) throw unauthorized(`token issuer ${JSON.stringify(claims.iss)} is not ${JSON.stringify(issuer)}`);
  const exp = claims.exp;
  if (typeof exp !== 'number') throw unauthorized('token has no expiry');
  if (exp * 1000 <= nowMs) throw unauthorized('token expired');
  if (typeof claims.nbf === 'number' && claims.nbf * 1000 > nowMs) throw unauthorized('token not valid yet');
  const { sub, type, scopes, metadata } = claims;
  if (typeof sub !== 'string' || sub === '' || typeof type !== 'string') throw unauthorized('token names no account');
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) throw unauthorized('token scopes are not a list of strings');
  const meta: Record<string, string> = {};
  if (metadata !== null && typeof metadata === 'object') for (const [k, v] of Object.entries(metadata)) if (typeof v === 'string') meta[k] = v;
  return { account: { id: sub, type, scopes: scopes as string[], metadata: meta }, expiresAt: exp * 1000 };
}
