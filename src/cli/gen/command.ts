/** `micro gen <file.proto...> --out <dir> [-I <dir>...]`. */
import type { Command } from 'commander';
import { generateTo } from './generate.ts';
import { ProtoError } from './load.ts';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the `gen` command to `program`; a bad .proto is one line on stderr (`micro: file:line:column: …`), exit 1. */
export function addGenCommand(program: Command): void {
  program
    .command('gen')
    .argument('<proto...>', '.proto files to generate TypeScript for')
    .description('write TypeScript types, typed clients, handler interfaces and register functions from .proto files')
    .requiredOption('-o, --out <dir>', 'output directory')
    .addHelpText('after', '\nExamples:\n  $ micro gen proto/helloworld/greeter.proto --out src/gen -I proto\n')
    .option('-I, --include <dir>', 'include root for imports, as protoc -I (repeatable; default: the inputs\' directories)', collect)
    .action((protos: string[], flags: { out: string; include?: string[] }) => {
      try {
        const written = generateTo(protos, flags.out, { includes: flags.include ?? [] });
        for (const path of written) console.log(path);
      } catch (err) {
        if (!(err instanceof ProtoError)) throw err;
        process.stderr.write(`micro: ${err.message.split('\n')[0]}\n`);
        process.exit(1);
      }
    });
}
