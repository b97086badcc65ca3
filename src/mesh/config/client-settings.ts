/**
 * The client's resilience settings read from config, applied live: the config key `client` holds
 * `{ timeoutMs, retries, selector, services: { <service>: { timeoutMs, retries, selector } } }`. Keys match in any
 * case, so env works too: `MICRO_CLIENT_TIMEOUTMS=2000`, `MICRO_CLIENT_SERVICES_GREETER_RETRIES=0`.
 */
import type { Logger } from '../../actors/index.ts';
import type { ClientOptions, ClientSettings } from '../client/options.ts';
import { MicroError } from '../errors.ts';
import { SelectorStrategy } from '../selector/selector.ts';
import type { Config, ConfigValue } from './config.ts';
import { isTree } from './tree.ts';

/** The config key the node reads its client settings from. */
export const CLIENT_CONFIG_KEY = 'client';

const strategies: readonly string[] = Object.values(SelectorStrategy);

function options(value: ConfigValue, at: string): ClientOptions {
  if (!isTree(value)) throw new MicroError('CONFIG_INVALID', `config "${at}" must be a mapping`);
  const out: ClientOptions = {};
  for (const [key, v] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (k === 'services' && at === CLIENT_CONFIG_KEY) continue;
    if (k === 'timeoutms') {
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new MicroError('CONFIG_INVALID', `config "${at}.${key}" must be a positive number of ms, not ${JSON.stringify(v)}`);
      out.timeoutMs = v;
    } else if (k === 'retries') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new MicroError('CONFIG_INVALID', `config "${at}.${key}" must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
      out.retries = v;
    } else if (k === 'selector') {
      if (typeof v !== 'string' || !strategies.includes(v)) throw new MicroError('CONFIG_INVALID', `config "${at}.${key}" must be one of ${strategies.join(', ')}, not ${JSON.stringify(v)}`);
      out.selector = v as SelectorStrategy;
    } else throw new MicroError('CONFIG_INVALID', `config "${at}.${key}": unknown client setting (known: timeoutMs, retries, selector, services)`);
  }
  return out;
}

/** The settings in the config value of `client` (undefined is none). Throws CONFIG_INVALID naming the bad key. */
export function clientSettingsOf(value: ConfigValue | undefined): ClientSettings {
  if (value === undefined || value === null) return {};
  const settings: ClientSettings = options(value, CLIENT_CONFIG_KEY);
  const servicesKey = isTree(value) ? Object.keys(value).find((k) => k.toLowerCase() === 'services') : undefined;
  if (servicesKey === undefined) return settings;
  const services = (value as Record<string, ConfigValue>)[servicesKey] as ConfigValue;
  if (!isTree(services)) throw new MicroError('CONFIG_INVALID', `config "${CLIENT_CONFIG_KEY}.${servicesKey}" must be a mapping of service names`);
  const each: Record<string, ClientOptions> = {};
  for (const [name, v] of Object.entries(services)) each[name] = options(v, `${CLIENT_CONFIG_KEY}.${servicesKey}.${name}`);
  return { ...settings, services: each };
}

/**
 * Applies the config's `client` settings to `client` now and on every change. Bad settings are logged and the
 * previous ones kept; at startup they throw. Returns a function that stops following the config.
 */
export function followClientSettings(config: Config, client: { configure(s: ClientSettings): void }, log: Logger): () => void {
  client.configure(clientSettingsOf(config.get(CLIENT_CONFIG_KEY)));
  return config.watch(CLIENT_CONFIG_KEY, (value) => {
    try {
      client.configure(clientSettingsOf(value));
      log.info({ key: CLIENT_CONFIG_KEY }, 'client settings changed');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'config: client settings refused; keeping the previous ones');
    }
  });
}
