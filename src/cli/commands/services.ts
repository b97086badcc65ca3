/** `micro services`: the services in the registry, never counting this command's own node. */
import type { Command } from 'commander';
import { NODE_SERVICE } from '../../mesh/node.ts';
import { type MeshFlags, meshOptions, withNode, withoutNode } from '../mesh.ts';

export function addServicesCommand(program: Command): void {
  meshOptions(program.command('services').description('list the services in the registry'))
    .option('--all', 'include the nodes themselves (micromesh.node)')
    .addHelpText('after', '\nExamples:\n  $ micro services\n  $ micro services --output json --registry memory\n')
    .action(async (flags: MeshFlags & { all?: boolean }) => {
      const services = await withNode(flags, async (node) => withoutNode(await node.registry.listServices(), node.id));
      const shown = services.filter((s) => flags.all || s.name !== NODE_SERVICE).sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
      if (flags.output === 'json') {
        console.log(JSON.stringify(shown.map((s) => ({ name: s.name, version: s.version, nodes: s.nodes.map((n) => ({ id: n.id, address: n.address })) }))));
        return;
      }
      if (shown.length === 0) console.log('no services found');
      for (const s of shown) console.log(`${s.name}\t${s.version}\t${s.nodes.length} node(s)`);
    });
}
