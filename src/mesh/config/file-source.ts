/**
 * The file source: a JSON or YAML file. Its directory is watched, not the file, so a save by rename (what most
 * editors do) is seen as well as a write in place, a delete and a re-create.
 */
import { watch as watchFs } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { MicroError } from '../errors.ts';
import type { ConfigSource, ConfigTree } from './config.ts';
import { type DocumentFormat, formatOf, parseDocument } from './parse.ts';

export interface FileSourceOptions {
  /** The file (relative to the working directory, or absolute). */
  path: string;
  /** @default by extension: `.json` is JSON, anything else YAML */
  format?: DocumentFormat;
  /** A missing file is an empty tree instead of an error. @default false */
  optional?: boolean;
  /** Watch the file for changes. @default true */
  watch?: boolean;
}

/** Largest file read: a config file past it is refused rather than read into memory. */
const MAX_BYTES = 8 * 1024 * 1024;

function readError(where: string, err: NodeJS.ErrnoException): MicroError {
  const why =
    err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' || err.code === 'EPERM' ? 'cannot be read (permission denied)' : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new MicroError('BAD_REQUEST', `${where}: ${why}`, { cause: err });
}

/**
 * A file source.
 * @example
 * const node = await createNode({ config: ['file:///etc/app/config.yaml', 'env'] });
 */
export function createFileSource(options: FileSourceOptions): ConfigSource {
  const path = resolve(options.path);
  const where = `config file ${path}`;
  const format = options.format ?? formatOf(path);
  return {
    name: `file ${path}`,
    async read(): Promise<ConfigTree> {
      let text: string;
      try {
        const buf = await readFile(path);
        if (buf.byteLength > MAX_BYTES) throw new MicroError('BAD_REQUEST', `${where}: larger than ${MAX_BYTES} bytes`);
        text = buf.toString('utf8');
      } catch (err) {
        if (err instanceof MicroError) throw err;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.optional === true) return {};
        throw readError(where, err as NodeJS.ErrnoException);
      }
      return parseDocument(text, format, where);
    },
    watch: options.watch === false
      ? undefined
      : (events) => {
          const name = basename(path);
          const watcher = watchFs(dirname(path), { persistent: false }, (_type, file) => {
            if (file === null || file === name) events.changed();
          });
          watcher.on('error', (err) => events.failed(err));
          return { stop: () => watcher.close() };
        },
  };
}
