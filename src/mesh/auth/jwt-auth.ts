/** The `jwt` auth: Ed25519 keys from options (or MICRO_AUTH_* env), this node's token refreshed before expiry, rules. */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../actors/clock.ts';
import type { Logger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import type { Account, Auth, HelloIdentity, IssueOptions, Resource, Rule, RuleSource, VerifiedToken } from './auth.ts';
import { createHelloIdentity } from './hello.ts';
import { issueJwt } from './jwt.ts';
import { type KeyInput, readPrivateKey, readPublicKey } from './keys.ts';
import { checkRules, enforce } from './rules.ts';
import { createTokenVerifier, type TokenVerifier, wallTime } from './verifier.ts';

/** Settings of the `jwt` auth (`createNode({ auth: 'jwt', authOptions })`). */
export interface JwtAuthOptions {
  /** Signs tokens and HELLOs: Ed25519 PKCS#8 PEM (or base64 of it). @default env MICRO_AUTH_PRIVATE_KEY */
  privateKey?: KeyInput;
  /** The trusted issuer's key: SPKI PEM (or base64 of it). @default env MICRO_AUTH_PUBLIC_KEY, else the private key's public half */
  publicKey?: KeyInput;
  /** More issuer keys accepted, e.g. the previous one while keys rotate. @default [] */
  trustedKeys?: readonly KeyInput[];
  /** The `iss` of tokens issued and required of tokens verified. @default 'micromesh' */
  issuer?: string;
  /** This node's identity. @default { id: <node id>, type: 'service', scopes: ['service'], metadata: {} } */
  account?: Partial<Account>;
  /** A token given to this node (when it holds no private key). @default issued from the private key */
  token?: string;
  /** Gets a fresh token before the current one expires (with `token`). @default reissue from the private key */
  refresh?: () => Promise<string>;
  /** Lifetime of the tokens this node issues. @default 3600000 (1 h) */
  tokenTtlMs?: number;
  /** How long before expiry this node replaces its token. @default a fifth of its lifetime */
  refreshAheadMs?: number;
  /** Rules, or a source of rules (config, store). @default [] (everything not public is denied) */
  rules?: readonly Rule[] | RuleSource;
  /** Verified tokens remembered. @default 10000 */
  cacheSize?: number;
  /** Longer tokens are refused unread. @default 8192 */
  maxTokenBytes?: number;
  /** Sign this node's HELLOs and require signed HELLOs from peers. @default true when a private key is given */
  signHello?: boolean;
}

export interface JwtAuthDeps {
  nodeId: string;
  clock: Clock;
  logger: Logger;
  env?: Readonly<Record<string, string | undefined>>;
}

export function defaultJwtAuthOptions() {
  return { issuer: 'micromesh', tokenTtlMs: 3_600_000, cacheSize: 10_000, maxTokenBytes: 8192 };
}

/**
 * Creates the `jwt` auth and issues (or takes) this node's first token. BAD_REQUEST when no key is given or a key
 * is not Ed25519.
 * @example
 * const auth = await createJwtAuth({ privateKey, rules: [{ id: 'all', resource: { name: '*' }, scope: '*', access: 'grant' }] }, { nodeId, clock, logger });
 */
export async function createJwtAuth(options: JwtAuthOptions, deps: JwtAuthDeps): Promise<Auth> {
  const auth = new JwtAuth(options, deps);
  await auth.start(options.rules);
  return auth;
}

class JwtAuth implements Auth {
  readonly enabled = true;
  readonly account: Account;
  readonly hello: HelloIdentity | undefined;
  readonly #o: JwtAuthOptions & ReturnType<typeof defaultJwtAuthOptions>;
  readonly #deps: JwtAuthDeps;
  readonly #privateKey: KeyObject | undefined;
  readonly #verifier: TokenVerifier;
  readonly #now: () => number;
  #rules: Rule[] = [];
  #token: string | undefined;
  #timer: unknown;
  #closed = false;
  readonly #unwatch = new Set<() => void>();

  constructor(options: JwtAuthOptions, deps: JwtAuthDeps) {
    this.#o = { ...defaultJwtAuthOptions(), ...options };
    this.#deps = deps;
    const env = deps.env ?? {};
    const priv = options.privateKey ?? env.MICRO_AUTH_PRIVATE_KEY;
    const pub = options.publicKey ?? env.MICRO_AUTH_PUBLIC_KEY;
    this.#privateKey = priv === undefined || priv === '' ? undefined : readPrivateKey(priv);
    const trusted = pub === undefined || pub === '' ? this.#privateKey : readPublicKey(pub);
    if (trusted === undefined) throw new MicroError('BAD_REQUEST', 'auth needs a key: authOptions.publicKey (to verify) and privateKey (to issue), or MICRO_AUTH_PUBLIC_KEY / MICRO_AUTH_PRIVATE_KEY');
    const keys = [readPublicKey(trusted), ...(options.trustedKeys ?? []).map((k) => readPublicKey(k, 'trusted key'))];
    this.#now = wallTime(deps.clock);
    this.#verifier = createTokenVerifier({ keys, issuer: this.#o.issuer, now: this.#now, cacheSize: this.#o.cacheSize, maxTokenBytes: this.#o.maxTokenBytes });
    const a = options.account ?? {};
    this.account = { id: a.id ?? deps.nodeId, type: a.type ?? 'service', scopes: [...(a.scopes ?? ['service'])], metadata: { ...a.metadata } };
    const signHello = options.signHello ?? this.#privateKey !== undefined;
    if (signHello && this.#privateKey === undefined) throw new MicroError('BAD_REQUEST', 'signed HELLOs need the private key (authOptions.privateKey), or set signHello: false');
    this.hello = signHello && this.#privateKey !== undefined ? createHelloIdentity({ privateKey: this.#privateKey, keys, issuer: this.#o.issuer, now: this.#now }) : undefined;
  }

  async start(rules: readonly Rule[] | RuleSource | undefined): Promise<void> {
    if (rules !== undefined) {
      if (Array.isArray(rules)) this.setRules(rules);
      else await this.useRules(rules as RuleSource);
    }
    await this.#renew();
  }

  token(): string | undefined {
    return this.#token;
  }

  async issue(account: Partial<Account> & { id: string }, options: IssueOptions = {}): Promise<string> {
    if (this.#privateKey === undefined) throw new MicroError('UNAVAILABLE', 'this node holds no private key to issue tokens with');
    if (typeof account?.id !== 'string' || account.id === '') throw new MicroError('BAD_REQUEST', 'an account needs an id');
    const full: Account = { id: account.id, type: account.type ?? 'user', scopes: [...(account.scopes ?? [])], metadata: { ...account.metadata } };
    return issueJwt(full, this.#privateKey, { issuer: this.#o.issuer, nowMs: this.#now(), ttlMs: options.ttlMs ?? this.#o.tokenTtlMs });
  }

  verify(token: string): VerifiedToken {
    return this.#verifier.verify(token);
  }

  authorize(account: Account | undefined, resource: Resource): void {
    enforce(this.#rules, account, resource);
  }

  setRules(rules: readonly Rule[]): void {
    this.#rules = checkRules(rules);
  }

  rules(): readonly Rule[] {
    return this.#rules;
  }

  async useRules(source: RuleSource): Promise<() => void> {
    this.setRules(await source.load());
    for (const stop of this.#unwatch) stop();
    this.#unwatch.clear();
    const stop = source.watch?.((rules) => {
      try {
        this.setRules(rules);
      } catch (err) {
        this.#deps.logger.error({ err }, 'auth rules not changed: the new rules are invalid');
      }
    });
    if (stop === undefined) return () => {};
    this.#unwatch.add(stop);
    return () => {
      this.#unwatch.delete(stop);
      stop();
    };
  }

  /** Takes a fresh token for this node and arms its replacement `refreshAheadMs` before it expires. */
  async #renew(): Promise<void> {
    const given = this.#token === undefined ? this.#o.token : undefined;
    let token: string;
    if (given !== undefined) token = given;
    else if (this.#o.refresh !== undefined && this.#token !== undefined) token = await this.#o.refresh();
    else token = await this.issue(this.account, { ttlMs: this.#o.tokenTtlMs });
    const { expiresAt } = this.verify(token);
    if (this.#closed) return;
    this.#token = token;
    if (this.#privateKey === undefined && this.#o.refresh === undefined) return;
    const life = expiresAt - this.#now();
    const ahead = this.#o.refreshAheadMs ?? life / 5;
    this.#timer = this.#deps.clock.setTimeout(() => this.#refresh(), Math.max(0, life - ahead));
  }

  #refresh(): void {
    this.#renew().catch((err: unknown) => {
      if (this.#closed) return;
      this.#deps.logger.error({ err }, 'auth token refresh failed; retrying in 1 s');
      this.#timer = this.#deps.clock.setTimeout(() => this.#refresh(), 1000);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#deps.clock.clearTimeout(this.#timer);
    for (const stop of this.#unwatch) stop();
    this.#unwatch.clear();
  }
}
