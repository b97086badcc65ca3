/** The config as a node component: opened first, so a broken file fails `createNode`; closed last. */
import type { NodeComponent } from '../node-tree.ts';
import type { ClientSettings } from '../client/options.ts';
import { MicroError } from '../errors.ts';
import { followClientSettings } from './client-settings.ts';
import type { Config } from './config.ts';
import { type OpenConfigInput, openNodeConfig } from './open.ts';

export interface ConfigComponentInput extends OpenConfigInput {
  /** The node's client, which takes the config's `client` settings live. */
  client: { configure(settings: ClientSettings): void };
}

/** The node's config component, and its config once started. */
export interface NodeConfigPart {
  readonly component: NodeComponent;
  /** The open config; throws UNAVAILABLE before the component started. */
  current(): Config;
}

export function createConfigPart(input: ConfigComponentInput): NodeConfigPart {
  let config: Config | undefined;
  let unfollow: (() => void) | undefined;
  return {
    component: {
      name: 'config',
      start: async () => {
        config = await openNodeConfig(input);
        unfollow = followClientSettings(config, input.client, input.logger);
      },
      stop: async () => {
        unfollow?.();
        await config?.close();
      },
    },
    current() {
      if (config === undefined) throw new MicroError('UNAVAILABLE', 'node.config is not open: the node has not started');
      return config;
    },
  };
}
