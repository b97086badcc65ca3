/** Ed25519 key pairs for auth: made with jose, read from PEM text (PKCS#8 private, SPKI public) or KeyObjects. */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { MicroError } from '../errors.ts';

/** A key as options take it: PEM text, or a node KeyObject. */
export type KeyInput = string | KeyObject;

/** An Ed25519 key pair as PEM text. */
export interface AuthKeyPair {
  /** PKCS#8 PEM. */
  readonly privateKey: string;
  /** SPKI PEM. */
  readonly publicKey: string;
}

/**
 * Makes an Ed25519 key pair (the same as `openssl genpkey -algorithm ed25519`).
 * @example
 * const keys = await generateAuthKeys();
 * const node = await createNode({ auth: 'jwt', authOptions: { ...keys, rules } });
 */
export async function generateAuthKeys(): Promise<AuthKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { privateKey: await exportPKCS8(privateKey), publicKey: await exportSPKI(publicKey) };
}

/** A private key: PEM, or base64 of PEM (as env variables carry it). BAD_REQUEST when it is not Ed25519. */
export function readPrivateKey(input: KeyInput, what = 'auth private key'): KeyObject {
  const key = typeof input === 'string' ? parse(() => createPrivateKey(pem(input)), what) : input;
  return ed25519(key, 'private', what);
}

/** A public key (a private one gives its public half): PEM or base64 of PEM. BAD_REQUEST when it is not Ed25519. */
export function readPublicKey(input: KeyInput, what = 'auth public key'): KeyObject {
  const key = typeof input === 'string' ? parse(() => createPublicKey(pem(input)), what) : input.type === 'private' ? createPublicKey(input) : input;
  return ed25519(key, 'public', what);
}

function pem(text: string): string {
  const trimmed = text.trim();
  return trimmed.startsWith('-----') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
}

function parse(make: () => KeyObject, what: string): KeyObject {
  try {
    return make();
  } catch (err) {
    throw new MicroError('BAD_REQUEST', `${what} is not a PEM key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function ed25519(key: KeyObject, type: 'private' | 'public', what: string): KeyObject {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new MicroError('BAD_REQUEST', `${what} must be an Ed25519 ${type} key, not ${key.asymmetricKeyType ?? key.type}`);
  }
  return key;
}
