/** The built-in store factories: `memory`, and `file` (also `file:///path` URLs), the embedded default. */
import { fileURLToPath } from 'node:url';
import { MicroError } from '../errors.ts';
import type { PluginFactory } from '../plugins/plugin.ts';
import { createFileStore } from './file.ts';
import { createMemoryStore } from './memory.ts';

export function builtinStoreFactories(): PluginFactory[] {
  return [
    {
      concern: 'store',
      name: 'file',
      schemes: ['file'],
      description: 'append logs under a directory (the default; .micromesh/store); file:///path',
      create: (target, ctx) => {
        const { scope, timeoutMs, file } = ctx.options;
        return createFileStore({ logger: ctx.logger, scope, timeoutMs, ...file, ...(target.url === undefined ? {} : { directory: directoryOf(target.url) }) });
      },
    },
    {
      concern: 'store',
      name: 'memory',
      description: 'in this process only, gone on stop',
      create: (_target, ctx) => createMemoryStore({ scope: ctx.options.scope, timeoutMs: ctx.options.timeoutMs, ...ctx.options.memory }),
    },
  ];
}

function directoryOf(url: URL): string {
  if (url.host !== '' || url.pathname === '' || url.pathname === '/') {
    throw new MicroError('BAD_REQUEST', `file store URL ${JSON.stringify(url.href)}: use file:///absolute/path/to/directory`);
  }
  return fileURLToPath(url);
}
