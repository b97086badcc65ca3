/** How a plugin choice written as text (`'mdns'`, `'nats://127.0.0.1:4222'`) reads. */
import { MicroError } from '../errors.ts';

/**
 * A choice written as text, parsed. A bare name (`'mdns'`) has no `url`; a URL (`'nats://127.0.0.1:4222'`,
 * `'mdns:'`) has its scheme, without the colon, as `name`.
 */
export interface PluginTarget {
  /** The plugin name, or the URL's scheme without the colon (`nats`). */
  readonly name: string;
  /** The parsed URL; undefined for a bare name. */
  readonly url: URL | undefined;
  /** The text as given, credentials included: never log it, log {@link redactUrl} of it. */
  readonly raw: string;
}

/** A plugin name or URL scheme: a letter, then letters, digits, `+`, `-` or `.` (RFC 3986 scheme syntax). */
const NAME = /^[a-z][a-z0-9+.-]*$/i;
/** Text that starts with a scheme and a colon is a URL. */
const SCHEME_PREFIX = /^[a-z][a-z0-9+.-]*:/i;

export const isPluginName = (name: string): boolean => NAME.test(name);

/** `'NATS'`, `'nats:'` and `'nats://'` all name the scheme `nats`. */
export function normalizeScheme(scheme: string): string {
  return scheme.replace(/:(\/\/)?$/, '').toLowerCase();
}

/** The text with every URL password in it replaced by `***`, for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):[^/?#@\s]*@/gi, '$1:***@');
}

/**
 * Parses a choice: a bare name, or a URL when it starts with a scheme. Throws BAD_REQUEST naming the concern and the
 * (redacted) text when it is neither.
 * @example
 * parseTarget('registry', 'mdns');                   // { name: 'mdns', url: undefined }
 * parseTarget('registry', 'nats://127.0.0.1:4222');  // { name: 'nats', url: URL }
 */
export function parseTarget(concern: string, raw: string): PluginTarget {
  const text = raw.trim();
  if (NAME.test(text)) return { name: text.toLowerCase(), url: undefined, raw };
  if (!SCHEME_PREFIX.test(text)) {
    throw new MicroError('BAD_REQUEST', `bad ${concern} ${JSON.stringify(redactUrl(text))}: expected a plugin name (mdns) or a URL (nats://127.0.0.1:4222)`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    // No cause: node's URL error carries the input, credentials included.
    throw new MicroError('BAD_REQUEST', `malformed ${concern} URL ${JSON.stringify(redactUrl(text))}: ${(err as Error).message}`);
  }
  return { name: normalizeScheme(url.protocol), url, raw };
}
