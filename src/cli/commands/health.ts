/** `micro health [service]`: asks every node (of a service, or of the mesh) whether it is ready. */
import type { Command } from 'commander';
import { nodeHealth } from '../../mesh/ops/node-service.ts';
import { fail, type MeshFlags, meshOptions, timeoutOf, withNode } from '../mesh.ts';
import { meshNodes } from '../mesh-nodes.ts';

export function addHealthCommand(program: Command): void {
  meshOptions(program.command('health').argument('[service]', 'only the nodes of this service').description('ask every node whether it is ready; exit 1 when any is not'), 5000)
    .addHelpText('after', '\nExamples:\n  $ micro health\n  $ micro health greeter --output json\n')
    .action(async (service: string | undefined, flags: MeshFlags) => {
      const timeoutMs = timeoutOf(flags);
      const results = await withNode(flags, async (node) => {
        const nodes = await meshNodes(node, service);
        if (service !== undefined && nodes.size === 0) fail(new Error(`unknown service "${service}": no node serves it`));
        const ids = [...nodes.keys()].sort();
        // Health is asked of each node's micromesh.node endpoint: wait until the registry knows those too.
        if (service !== undefined) await meshNodes(node, undefined, (all) => ids.every((id) => all.has(id)));
        const reports = await Promise.all(ids.map((id) => nodeHealth(node.client, id, timeoutMs)));
        return reports.map((r) => ({ ...r, address: nodes.get(r.id)?.address ?? '' }));
      });
      if (flags.output === 'json') console.log(JSON.stringify(results));
      else if (results.length === 0) console.log('no nodes found');
      for (const r of flags.output === 'json' ? [] : results) {
        const failing = Object.entries(r.checks).filter(([, c]) => !c.ok);
        const why = failing.map(([name, c]) => `${name}${c.critical ? '' : ' (not critical)'}: ${c.error ?? 'failed'}`).join('; ');
        console.log(`${r.id}\t${r.address}\t${r.ready ? 'ready' : 'not ready'}${why === '' ? '' : `\t${why}`}`);
      }
      const down = results.filter((r) => !r.ready).length;
      if (down > 0) {
        process.stderr.write(`micro: ${down} of ${results.length} node(s) not ready\n`);
        process.exitCode = 1;
      }
    });
}
