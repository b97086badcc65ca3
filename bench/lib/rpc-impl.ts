/**
 * The shape every implementation in the rpc suite (bench/suites/rpc.ts) takes: a server, started
 * once per implementation (usually in a child process), and clients that call its echo endpoint.
 * Adding an implementation to the suite is adding one {@link RpcImpl} to its table.
 */

/** A running echo server. */
export interface RpcServer {
  /** Whatever `createClient` needs to reach the server, e.g. `127.0.0.1:4000`. */
  readonly address: string;
  /** Ends the server and anything it spawned. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** A client connected to one {@link RpcServer}. */
export interface RpcClient {
  /**
   * Sends `body` to the server's echo endpoint and resolves with the decoded reply. The body is a
   * plain JSON value: each implementation serialises it the way its stack does.
   */
  call(body: unknown): Promise<unknown>;
  /** Closes connections and rejects calls still in flight. Idempotent. */
  close(): Promise<void>;
}

/** One implementation under test: `micromesh`, or a peer (`raw-tcp`, `moleculer`, ...). */
export interface RpcImpl {
  /** The `impl` column of its rows. */
  readonly name: string;
  startServer(): Promise<RpcServer>;
  createClient(address: string): Promise<RpcClient>;
}

/**
 * One implementation of the rpc suite's `local` case: a caller and the echo service it calls in
 * the same process, with no transport in between. `start` resolves with a client whose `close`
 * stops everything `start` made.
 */
export interface LocalImpl {
  /** The `impl` column of its rows. */
  readonly name: string;
  start(): Promise<RpcClient>;
}
