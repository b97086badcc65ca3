/** `micro dashboard`: a node with the operations port on, serving the live dashboard until interrupted. */
import { type Command, Option } from 'commander';
import { createNode } from '../../index.ts';
import { fail, type MeshFlags, nodeOptionsOf } from '../mesh.ts';

export function addDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live dashboard: every node, its supervision tree, services and call rates')
    .addOption(new Option('--address <host:port>', 'where the page listens (loopback by default)').env('MICRO_DASHBOARD_ADDRESS').default('127.0.0.1:8080'))
    .addOption(new Option('--registry <name|url>', 'registry: mdns, memory, or a plugin URL').env('MICRO_REGISTRY'))
    .addOption(new Option('--transport <name|url>', 'transport: tcp, memory, or a plugin URL').env('MICRO_TRANSPORT'))
    .addOption(new Option('--mdns-port <port>', 'mDNS port (default 5353)').env('MICRO_MDNS_PORT'))
    .addHelpText('after', '\nNodes show their trees when their operations are on (MICRO_OPS_ADDRESS or MICRO_OPS_INSPECT=true).\n\nExamples:\n  $ micro dashboard\n  $ micro dashboard --address 127.0.0.1:9000\n')
    .action(async (flags: Omit<MeshFlags, 'timeout' | 'output'> & { address: string }) => {
      const node = await createNode({ ...nodeOptionsOf(flags, `micro-dashboard-${process.pid}`), ops: { address: flags.address, inspect: true } }).catch(fail);
      console.log(`dashboard at http://${node.ops.address}/ (Ctrl-C stops it)`);
      const stop = (): void => {
        void node.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
