/** `micro new <name>`: a service project in ./<name>. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fail } from '../mesh.ts';
import { scaffold } from './new-templates.ts';

/** A name that is a valid npm package, directory and service name at once. */
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

interface DevTools {
  devDependencies: Record<string, string>;
}

export function addNewCommand(program: Command, version: string): void {
  program
    .command('new')
    .argument('<name>', 'project and service name (lower case, digits and -)')
    .description('scaffold a service project in ./<name>: .proto, service, test, npm scripts')
    .option('--micromesh <spec>', 'the micromesh dependency spec (a version range, file: path or tarball)', `^${version}`)
    .addHelpText('after', '\nExamples:\n  $ micro new hello\n  $ cd hello && npm install && npm test && npm start\n')
    .action((name: string, flags: { micromesh: string }) => {
      if (!NAME.test(name)) fail(new Error(`the name must be lower case letters, digits and -, starting with a letter, not "${name}"`));
      const dir = resolve(name);
      if (existsSync(dir) && readdirSync(dir).length > 0) fail(new Error(`${name} already exists and is not empty`));
      const own = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as DevTools;
      const tools = { tsx: own.devDependencies.tsx ?? '^4.0.0', typescript: own.devDependencies.typescript ?? '^5.0.0', typesNode: own.devDependencies['@types/node'] ?? '^20.0.0' };
      const files = scaffold({ name, micromesh: flags.micromesh, tools });
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      console.log(`created ${name}/: ${Object.keys(files).sort().join(', ')}`);
      console.log(`next: cd ${name} && npm install && npm test && npm start`);
    });
}
