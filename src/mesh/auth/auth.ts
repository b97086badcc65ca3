/**
 * Auth: who a caller is and what it may reach. Every node (and every service on it) has an identity, an
 * {@link Account} carried as a signed JWT (Ed25519); servers verify tokens and apply {@link Rule}s. Off by default;
 * once on, everything not granted by a rule (or declared public) is denied.
 */
/** An identity: a service, a node or a user, with the scopes rules grant by. */
export interface Account {
  /** Who it is: a service name, a node id, a user id. */
  readonly id: string;
  /** What kind of identity: `service`, `node`, `user`… */
  readonly type: string;
  readonly scopes: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a rule is about. `type` is `service` (calls and streams), `actor` (actor messages) or `topic` (publishes). */
export interface Resource {
  readonly type: string;
  /** The service name, actor path or topic. */
  readonly name: string;
  /** The endpoint (`Say.Hello`), or for actors the message's `type`, for topics `publish`. */
  readonly endpoint: string;
}

/** A pattern of resources: each field is exact, `*` (anything), or ends in `.*` / `*` (a prefix: `Say.*`). */
export interface ResourcePattern {
  /** @default '*' */
  readonly type?: string;
  readonly name: string;
  /** @default '*' */
  readonly endpoint?: string;
}

/**
 * An access rule. Rules are tried highest `priority` first; the first whose resource and scope match decides.
 * `scope` is go-micro's: `''` matches anyone (with or without a token), `'*'` any verified account, any other value
 * an account holding that scope.
 */
export interface Rule {
  readonly id: string;
  readonly resource: ResourcePattern;
  readonly scope: string;
  readonly access: 'grant' | 'deny';
  /** @default 0 */
  readonly priority?: number;
}

/**
 * Where rules come from: a list, or a source read at start and (if it can) watched for changes. A config source is
 * `{ load: () => node.config.get('auth.rules', []), watch: (fn) => node.config.watch('auth.rules', fn) }`.
 */
export interface RuleSource {
  load(): readonly Rule[] | Promise<readonly Rule[]>;
  /** Calls `onChange` with the new rules whenever they change; returns a function that stops watching. */
  watch?(onChange: (rules: readonly Rule[]) => void): () => void;
}

/** What a token says when verified. */
export interface VerifiedToken {
  readonly account: Account;
  /** Epoch ms it expires at. */
  readonly expiresAt: number;
}

export interface IssueOptions {
  /** How long the token is valid. @default the node's `tokenTtlMs` */
  ttlMs?: number;
}

/** A node's auth, as `node.auth`. */
export interface Auth {
  /** False when auth is off: nothing is checked or attached, and `issue` fails. */
  readonly enabled: boolean;
  /** This node's own account (undefined when auth is off). */
  readonly account: Account | undefined;
  /** This node's current token, refreshed before it expires (undefined when auth is off). */
  token(): string | undefined;
  /** Issues a token for an account; needs the private key. */
  issue(account: Partial<Account> & { id: string }, options?: IssueOptions): Promise<string>;
  /** The account a token stands for; UNAUTHORIZED (401) for a missing, malformed, expired, tampered or foreign one. */
  verify(token: string): VerifiedToken;
  /** Whether `account` (undefined: no token) may reach `resource`: throws UNAUTHORIZED (no account) or FORBIDDEN. */
  authorize(account: Account | undefined, resource: Resource): void;
  /** Replaces the rules (validated: a bad rule is BAD_REQUEST naming it and nothing changes). */
  setRules(rules: readonly Rule[]): void;
  /** The rules in force, highest priority first. */
  rules(): readonly Rule[];
  /**
   * Loads rules from a source and follows its changes, instead of any source followed before; returns a function that
   * stops following. A bad load rejects and changes nothing; a bad change is logged and the last good rules stay.
   */
  useRules(source: RuleSource): Promise<() => void>;
  /** Signs and checks this node's HELLOs (undefined when auth is off or the node holds no private key). */
  readonly hello: HelloIdentity | undefined;
  close(): Promise<void>;
}

/** The cryptographic side of a node's HELLO: a proof over the connection's nonce, checked against the issuer. */
export interface HelloIdentity {
  /** A proof that this node (`nodeId` at `address`) sent `nonce`. */
  prove(hello: { nodeId: string; address: string; nonce: Uint8Array }): string;
  /** Throws UNAUTHORIZED unless `proof` proves that hello, signed by the trusted issuer and not seen before. */
  check(hello: { nodeId: string; address: string; nonce: Uint8Array }, proof: string | undefined): void;
}
