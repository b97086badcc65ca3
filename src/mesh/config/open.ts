/** How a node opens its config: sources by instance, name, URL or path, from the option or MICRO_CONFIG. */
import type { ActorSystem, Logger } from '../../actors/index.ts';
import type { Clock } from '../../actors/clock.ts';
import { MicroError } from '../errors.ts';
import type { PluginEnv } from '../plugins/plugin.ts';
import type { PluginTable } from '../plugins/table.ts';
import type { Config, ConfigSource } from './config.ts';
import type { ConfigConcernOptions } from './factories.ts';
import { createFileSource } from './file-source.ts';
import { createConfig } from './mesh-config.ts';

/** One config source as given: an instance, a plugin name (`env`), a URL (`file:///…`, `nats://…`) or a file path. */
export type ConfigSourceChoice = ConfigSource | string | URL;

/** The sources a node reads when neither the `config` option nor MICRO_CONFIG names any. */
export const DEFAULT_CONFIG_SOURCES: readonly string[] = ['env'];

export interface OpenConfigInput {
  /** The option: one choice, a list, or a comma-separated text. @default env MICRO_CONFIG, else ['env'] */
  choice: ConfigSourceChoice | readonly ConfigSourceChoice[] | undefined;
  options: ConfigConcernOptions;
  table: PluginTable;
  system: ActorSystem;
  nodeId: string;
  logger: Logger;
  env: PluginEnv;
  clock: Clock;
}

/** A file path rather than a name or URL: no scheme, and a slash or a .json/.yaml/.yml ending. */
const isPath = (text: string): boolean => !/^[a-z][a-z0-9+.-]*:/i.test(text) && (text.includes('/') || /\.(json|ya?ml)$/i.test(text));

/** The choices, in precedence order (the last wins), with where they came from. */
function choicesOf(input: OpenConfigInput): { list: readonly ConfigSourceChoice[]; from: string | undefined } {
  const { choice, env } = input;
  const split = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (choice !== undefined) return { list: typeof choice === 'string' ? split(choice) : Array.isArray(choice) ? choice : [choice as ConfigSourceChoice], from: undefined };
  const text = env.MICRO_CONFIG?.trim();
  if (text !== undefined && text !== '') return { list: split(text), from: 'MICRO_CONFIG' };
  return { list: DEFAULT_CONFIG_SOURCES, from: undefined };
}

/**
 * Resolves each source through the node's plugin table (an unknown name or scheme is one BAD_REQUEST listing the
 * known ones) and reads them into a Config whose watchers are supervised actors in `system`.
 */
export async function openNodeConfig(input: OpenConfigInput): Promise<Config> {
  const { list, from } = choicesOf(input);
  const sources: ConfigSource[] = [];
  try {
    for (const choice of list) {
      if (typeof choice === 'string' && isPath(choice)) {
        sources.push(createFileSource({ ...input.options.file, path: choice }));
        continue;
      }
      const ctx = { nodeId: input.nodeId, logger: input.logger, env: input.env, clock: input.clock, options: input.options };
      const resolved = await input.table.resolve('config', choice, ctx).catch((err: unknown) => {
        if (from === undefined || !(err instanceof MicroError)) throw err;
        throw new MicroError(err.reason, `${err.detail} (from ${from})`, { cause: err });
      });
      // An instance passed in is not the node's to close.
      const v = resolved.value;
      sources.push(resolved.owned ? v : { name: v.name, read: () => v.read(), ...(v.watch === undefined ? {} : { watch: (e) => v.watch?.(e) ?? { stop() {} } }) });
    }
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.close?.()));
    throw err;
  }
  return createConfig({ sources, system: input.system, clock: input.clock, env: input.env, logger: input.logger, debounceMs: input.options.debounceMs });
}
