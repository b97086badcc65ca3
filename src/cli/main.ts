import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addApiCommand } from './commands/api.ts';
import { addCallCommand } from './commands/call.ts';
import { addDashboardCommand } from './commands/dashboard.ts';
import { addDescribeCommand } from './commands/describe.ts';
import { addHealthCommand } from './commands/health.ts';
import { addInspectCommand } from './commands/inspect.ts';
import { addNewCommand } from './commands/new.ts';
import { addPublishCommand } from './commands/publish.ts';
import { addRunCommand } from './commands/run.ts';
import { addServicesCommand } from './commands/services.ts';
import { addStreamCommand } from './commands/stream.ts';
import { addGenCommand } from './gen/command.ts';
import { fail } from './mesh.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('micro')
  .description('micromesh: services as supervised actors across nodes')
  .version(pkg.version)
  // Commander's own errors (unknown option, bad choice, missing argument) read like ours: `micro: …`, exit 1.
  .configureOutput({ outputError: (text, write) => write(`micro: ${text.replace(/^error: /, '')}`) })
  .addHelpText('after', '\nExamples:\n  $ micro services\n  $ micro call greeter Say.Hello \'{"name":"Ada"}\'\n  $ micro new hello && cd hello && npm install && npm test\n');

addNewCommand(program, pkg.version);
addRunCommand(program);
addServicesCommand(program);
addDescribeCommand(program);
addCallCommand(program);
addStreamCommand(program);
addHealthCommand(program);
addInspectCommand(program);
addDashboardCommand(program);
addPublishCommand(program);
addGenCommand(program);
addApiCommand(program);

program.parseAsync(process.argv).catch(fail);
