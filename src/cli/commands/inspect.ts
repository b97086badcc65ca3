/** `micro inspect <node>`: a node's live actor tree, with mailbox depths and restart counts, and its services. */
import type { Command } from 'commander';
import type { ActorSnapshot } from '../../mesh/ops/node-report.ts';
import { inspectNode } from '../../mesh/ops/node-service.ts';
import { fail, type MeshFlags, meshOptions, timeoutOf, withNode } from '../mesh.ts';
import { meshNodes } from '../mesh-nodes.ts';

/** One line per actor, indented by depth: name, kind, state, mailbox depth, restarts. */
export function treeLines(a: ActorSnapshot, depth = 0, out: string[] = []): string[] {
  const label = `${'  '.repeat(depth)}${a.name}`;
  out.push(`${label.padEnd(36)} ${a.kind.padEnd(18)} ${a.state.padEnd(9)} mailbox ${String(a.mailbox).padStart(5)}  restarts ${a.restarts}`);
  for (const c of a.children) treeLines(c, depth + 1, out);
  if (a.omitted) out.push(`${'  '.repeat(depth + 1)}… ${a.omitted} more`);
  return out;
}

export function addInspectCommand(program: Command): void {
  meshOptions(program.command('inspect').argument('<node>', 'the node id (micro health lists them)').description("show a node's live actor tree: mailbox depths, restart counts, states"), 5000)
    .addHelpText(
      'after',
      '\nThe node answers when its operations are on (ops option, MICRO_OPS_ADDRESS or MICRO_OPS_INSPECT=true).\n\nExamples:\n  $ micro inspect node-4f2a9c\n  $ micro inspect node-4f2a9c --output json\n',
    )
    .action(async (id: string, flags: MeshFlags) => {
      const timeoutMs = timeoutOf(flags);
      const report = await withNode(flags, async (node) => {
        const nodes = await meshNodes(node, undefined, (found) => found.has(id));
        if (!nodes.has(id)) fail(new Error(`no node "${id}" in the registry (micro health lists the nodes)`));
        return inspectNode(node.client, id, timeoutMs);
      });
      if (flags.output === 'json') {
        console.log(JSON.stringify(report));
        return;
      }
      console.log(`node ${report.id}  ${report.address}  ${report.actors} actors${report.truncated ? ' (truncated)' : ''}  ${report.deadLetters} dead letters`);
      for (const s of report.services) console.log(`service ${s.name} ${s.version}: ${s.endpoints.map((e) => e.name).join(', ') || '(no endpoints)'}`);
      console.log('');
      for (const line of treeLines(report.tree)) console.log(line);
    });
}
