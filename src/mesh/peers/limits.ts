/** Per-connection limits: what one peer may hold of this node's memory and attention. */
export interface PeerLimits {
  /** A connection whose HELLO (and, for an accepted one, identity check) has not finished by then is closed. @default 5000 */
  handshakeTimeoutMs: number;
  /** Calls and streams the remote may have open at once on one connection; past it, 503 OVERLOADED. @default 1024 */
  maxInflight: number;
  /** Streams the remote may have open at once on one connection; past it, 503 OVERLOADED. @default 256 */
  maxStreams: number;
  /** Frames held while an accepted connection's identity is checked; past it, reading pauses. @default 256 */
  maxHeldFrames: number;
  /** How long the dial-back identity check of an accepted connection may take before the dialer stays unverified. @default 3000 */
  verifyTimeoutMs: number;
  /** How long an accepted connection's claimed node id may take to appear in the registry (it may have just registered). @default 250 */
  registryWaitMs: number;
}

export function defaultPeerLimits(): PeerLimits {
  return { handshakeTimeoutMs: 5000, maxInflight: 1024, maxStreams: 256, maxHeldFrames: 256, verifyTimeoutMs: 3000, registryWaitMs: 250 };
}
