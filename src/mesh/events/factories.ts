/**
 * The events concern in the plugin table (`events` option, `MICRO_EVENTS`), and its built-in factories: `file`
 * (also `file:///path` URLs), the embedded default, and `memory`.
 */
import { fileURLToPath } from 'node:url';
import { MicroError } from '../errors.ts';
import type { PluginFactory } from '../plugins/plugin.ts';
import type { EventsBackend } from './events.ts';
import { createFileEvents, type FileEventsOptions } from './file.ts';
import { createMemoryEvents, type MemoryEventsOptions } from './memory.ts';

/** Node-level settings for the events concern, handed to every events factory; engine plugins add their own fields. */
export interface EventsConcernOptions {
  /** Settings of the `file` back end; a `file:///path` URL sets the directory. @default { directory: '.micromesh/events', fsync: 'batch' } */
  file?: FileEventsOptions;
  /** Settings of the `memory` back end. @default {} */
  memory?: MemoryEventsOptions;
}

declare module '../plugins/concerns.ts' {
  interface PluginConcerns {
    events: EventsBackend;
  }
  interface ConcernOptions {
    events: EventsConcernOptions;
  }
}

export function builtinEventsFactories(): PluginFactory[] {
  return [
    {
      concern: 'events',
      name: 'file',
      schemes: ['file'],
      description: 'append logs with fsync before a publish is acknowledged (the default; .micromesh/events); file:///path',
      create: (target, ctx) => createFileEvents({ clock: ctx.clock, logger: ctx.logger, ...ctx.options.file, ...(target.url === undefined ? {} : { directory: directoryOf(target.url) }) }),
    },
    {
      concern: 'events',
      name: 'memory',
      description: 'in this process only, gone on stop',
      create: (_target, ctx) => createMemoryEvents({ clock: ctx.clock, ...ctx.options.memory }),
    },
  ];
}

function directoryOf(url: URL): string {
  if (url.host !== '' || url.pathname === '' || url.pathname === '/') {
    throw new MicroError('BAD_REQUEST', `file events URL ${JSON.stringify(url.href)}: use file:///absolute/path/to/directory`);
  }
  return fileURLToPath(url);
}
