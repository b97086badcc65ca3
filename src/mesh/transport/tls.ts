/** TLS for the TCP transport: certificates per service, and mutual TLS where the CA vouches for both sides. */
import type { ConnectionOptions as TlsConnectOptions, TlsOptions, TLSSocket } from 'node:tls';
import type { PeerCertificate } from './transport.ts';

/** PEM text (or Buffers) of a TLS identity and the CA it trusts. */
export interface TcpTlsOptions {
  /** This node's private key (PEM). */
  key: string | Buffer;
  /** This node's certificate (PEM), signed by a CA its peers trust. */
  cert: string | Buffer;
  /** The CA (or CAs) whose certificates this node accepts. @default Node's public roots */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Mutual TLS: the listener asks every dialer for a certificate and refuses a connection without one the CA signed. @default false */
  requestCert?: boolean;
  /** The name the listener's certificate must carry when dialing. @default the dialed host (an IP needs an IP SAN) */
  servername?: string;
  /** A handshake not finished by then is dropped. @default 5000 */
  handshakeTimeoutMs?: number;
}

export function tlsServerOptions(o: TcpTlsOptions): TlsOptions {
  const requestCert = o.requestCert === true;
  return { key: o.key, cert: o.cert, ca: o.ca, requestCert, rejectUnauthorized: requestCert, handshakeTimeout: o.handshakeTimeoutMs ?? 5000, minVersion: 'TLSv1.2' };
}

export function tlsClientOptions(o: TcpTlsOptions, host: string, port: number): TlsConnectOptions {
  return { host, port, key: o.key, cert: o.cert, ca: o.ca, servername: o.servername, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/** The other side's certificate, when it was verified against the CA. */
export function verifiedCertificate(socket: TLSSocket): PeerCertificate | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.subject === undefined) return undefined;
  const field = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const name = field(cert.subject.CN)[0];
  if (name === undefined) return undefined;
  return { name, units: field(cert.subject.OU), fingerprint: cert.fingerprint256 };
}
