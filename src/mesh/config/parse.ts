/** Parsing of config documents (JSON, YAML) into trees, with errors that name where and the line:column. */
import { MicroError } from '../errors.ts';
import { importOptional } from '../plugins/import-optional.ts';
import type { ConfigTree } from './config.ts';
import { isTree } from './tree.ts';

export type DocumentFormat = 'json' | 'yaml';

/** The format a file name says: `.json` is JSON, anything else YAML (which reads JSON too). */
export const formatOf = (name: string): DocumentFormat => (/\.json$/i.test(name) ? 'json' : 'yaml');

/** 1-based line and column of offset `at` in `text`. */
function lineColumn(text: string, at: number): string {
  const before = text.slice(0, Math.max(0, Math.min(at, text.length)));
  const lines = before.split('\n');
  return `${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
}

function invalid(where: string, position: string, message: string): MicroError {
  return new MicroError('CONFIG_INVALID', `${where}:${position}: ${message}`);
}

/**
 * The tree in `text`. `where` names it in errors: `config file /etc/app.yaml`. A parse error is CONFIG_INVALID
 * `<where>:<line>:<column>: <what>`; a document that is not a mapping is CONFIG_INVALID too; an empty one is `{}`.
 */
export async function parseDocument(text: string, format: DocumentFormat, where: string): Promise<ConfigTree> {
  let value: unknown;
  if (format === 'json') {
    try {
      value = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const at = /position (\d+)/.exec(message);
      throw invalid(where, lineColumn(text, at === null ? text.length : Number(at[1])), message.replace(/ in JSON at position \d+.*$/, ''));
    }
  } else {
    const yaml = await importOptional<typeof import('yaml')>('yaml', { plugin: 'micromesh', concern: 'config' });
    try {
      value = yaml.parse(text, { prettyErrors: true, uniqueKeys: true }) ?? {};
    } catch (err) {
      const e = err as { message: string; linePos?: Array<{ line: number; col: number }> };
      const pos = e.linePos?.[0];
      const first = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.message;
      throw invalid(where, pos === undefined ? '1:1' : `${pos.line}:${pos.col}`, first);
    }
  }
  if (!isTree(value)) throw invalid(where, '1:1', `the document must be a mapping of keys to values, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  return value as ConfigTree;
}
