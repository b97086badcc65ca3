/** `micro describe <service>`: versions, endpoints and nodes of one service. */
import type { Command } from 'commander';
import { MicroError } from '../../index.ts';
import { type MeshFlags, meshOptions, withNode, withoutNode } from '../mesh.ts';

export function addDescribeCommand(program: Command): void {
  meshOptions(program.command('describe').argument('<service>').description('show the versions, endpoints and nodes of a service'))
    .addHelpText('after', '\nExamples:\n  $ micro describe greeter\n  $ micro describe greeter --output json\n')
    .action(async (service: string, flags: MeshFlags) => {
      const versions = await withNode(flags, async (node) => withoutNode(await node.registry.getService(service), node.id));
      if (versions.length === 0) throw new MicroError('SERVICE_NOT_FOUND', `service ${service} not found`, { id: 'micro' });
      // Text is indented JSON, since the request and response shapes are trees; json is one line.
      console.log(flags.output === 'json' ? JSON.stringify(versions) : JSON.stringify(versions, null, 2));
    });
}
