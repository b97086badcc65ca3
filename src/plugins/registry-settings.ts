/** Settings an engine registry's URL query may carry (`nats://host:4222?prefix=app.registry&ttlMs=3000`). */
import { MicroError } from '../mesh/errors.ts';
import type { AdmitProbe } from '../mesh/registry/admission.ts';
import type { LinkedRegistryOptions } from '../mesh/registry/linked.ts';
import type { PluginContext } from '../mesh/plugins/plugin.ts';

export interface EngineRegistrySettings {
  prefix?: string;
  ttlMs?: number;
}

/** `prefix` and `ttlMs` from the URL's query; any other key, or a bad TTL, is BAD_REQUEST naming it. */
export function registryUrlSettings(engine: string, url: URL): EngineRegistrySettings {
  const settings: EngineRegistrySettings = {};
  for (const [key, value] of url.searchParams) {
    if (key === 'prefix' && value !== '') settings.prefix = value;
    else if (key === 'ttlMs' && /^\d+$/.test(value) && Number(value) > 0) settings.ttlMs = Number(value);
    else throw new MicroError('BAD_REQUEST', `${engine} registry URL: bad setting ${key}=${JSON.stringify(value)} (known: prefix, ttlMs)`);
  }
  return settings;
}

/**
 * The node's side of an engine registry's options: clock, logger, admission probe and registration TTL. Only whoever
 * may write to the engine can announce there, so a record of a new node is taken as it comes; the probe decides
 * conflicts only: a record claiming a known node id at another address (a restart, or a forgery).
 */
export function registryBase(ctx: PluginContext<'registry'>): LinkedRegistryOptions & { admit?: AdmitProbe } {
  const admit = ctx.options.admit;
  return {
    clock: ctx.clock,
    logger: ctx.logger,
    ...(admit === undefined ? {} : { admit: (candidate) => (candidate.known === undefined ? Promise.resolve(true) : admit(candidate)) }),
    ...(ctx.options.ttlMs === undefined ? {} : { ttlMs: ctx.options.ttlMs }),
  };
}
