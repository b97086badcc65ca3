/**
 * Heavy clients (nats, ioredis, pg) are optional packages: a factory imports its client when it runs, so a node that
 * never uses NATS never loads it, and one that asks for it without the package gets a line saying what to install.
 */
import { MicroError } from '../errors.ts';

export interface ImportOptionalOptions {
  /** The plugin that needs the package, for the message: `nats`. */
  plugin: string;
  /** The concern it backs: `registry` reads "the nats registry needs…"; without it, "the nats plugin needs…". */
  concern?: string;
  /** The command that installs the package. @default `npm install <package>` */
  install?: string;
}

/**
 * Imports `specifier` (a package or a package subpath) at call time. When that package is not installed it throws
 * UNAVAILABLE with one actionable line: `the nats registry needs the "nats" package: npm install nats`. Any other
 * failure, including a package that is there but misses its own dependency, is rethrown as it is.
 * @example
 * const { connect } = await importOptional<typeof import('nats')>('nats', { plugin: 'nats', concern: 'registry' });
 */
export async function importOptional<T = unknown>(specifier: string, options: ImportOptionalOptions): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (err) {
    const pkg = packageOf(specifier);
    if (pkg === undefined || !isMissingPackage(err, pkg)) throw err;
    const who = options.concern === undefined ? `the ${options.plugin} plugin` : `the ${options.plugin} ${options.concern}`;
    throw new MicroError('UNAVAILABLE', `${who} needs the "${pkg}" package: ${options.install ?? `npm install ${pkg}`}`, { cause: err });
  }
}

/** The package a bare specifier names (`@nats-io/jetstream/x` → `@nats-io/jetstream`); undefined for paths and URLs. */
export function packageOf(specifier: string): string | undefined {
  if (/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Whether `err` says `pkg` itself cannot be found, not a module inside it nor another package it imports. */
export function isMissingPackage(err: unknown, pkg: string): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as Error & { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // ESM: "Cannot find package 'nats' imported from …"; CommonJS: "Cannot find module 'nats'".
  return err.message.includes(`'${pkg}'`);
}
