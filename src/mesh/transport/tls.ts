/** TLS for the TCP transport: certificates per service, and mutual TLS where the CA vouches for both sides. */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectOptions, TlsOptions, TLSSocket } from 'node:tls';
import { MicroError } from '../errors.ts';
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

/**
 * TLS settings from the environment, for nodes configured without code: MICRO_TLS_CERT and MICRO_TLS_KEY (PEM file
 * paths, both or neither), MICRO_TLS_CA (the CA's PEM file), MICRO_TLS_REQUEST_CERT=true for mutual TLS. Undefined
 * when MICRO_TLS_CERT and MICRO_TLS_KEY are unset; BAD_REQUEST naming the variable for a file that cannot be read.
 */
export function tlsFromEnv(env: Readonly<Record<string, string | undefined>>): TcpTlsOptions | undefined {
  const set = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const cert = set('MICRO_TLS_CERT');
  const key = set('MICRO_TLS_KEY');
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new MicroError('BAD_REQUEST', 'TLS needs both MICRO_TLS_CERT and MICRO_TLS_KEY');
  const read = (name: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new MicroError('BAD_REQUEST', `${name}: cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const ca = set('MICRO_TLS_CA');
  return {
    cert: read('MICRO_TLS_CERT', cert),
    key: read('MICRO_TLS_KEY', key),
    ...(ca === undefined ? {} : { ca: read('MICRO_TLS_CA', ca) }),
    requestCert: /^(1|true|yes)$/i.test(env.MICRO_TLS_REQUEST_CERT ?? ''),
  };
}
