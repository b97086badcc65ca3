/** The built-in sync factory: `memory`, the embedded default. */
import type { PluginFactory } from '../plugins/plugin.ts';
import { lockDefaults } from './locks.ts';
import { createMemorySync } from './memory.ts';

export function builtinSyncFactories(): PluginFactory[] {
  return [
    {
      concern: 'sync',
      name: 'memory',
      description: 'locks in this process only (the default); pass one `memory.backend` to share them between nodes',
      create: (_target, ctx) => {
        return createMemorySync({ clock: ctx.clock, holder: ctx.nodeId, ...lockDefaults(ctx.options), ...ctx.options.memory });
      },
    },
  ];
}
