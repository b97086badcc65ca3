import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { createNode, type MeshNode } from '../index.ts';
import { NODE_SERVICE } from '../mesh/node.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface MeshFlags {
  registry: 'mdns' | 'memory';
  mdnsPort?: string;
}

/** A short-lived node for one command, on the same defaults as any node (mDNS on loopback). */
async function withNode<T>(flags: MeshFlags, run: (node: MeshNode) => Promise<T>): Promise<T> {
  const node = await createNode({ id: `micro-cli-${process.pid}`, registry: flags.registry, mdns: flags.mdnsPort ? { port: Number(flags.mdnsPort) } : undefined });
  try {
    return await run(node);
  } finally {
    await node.stop();
  }
}

function fail(err: unknown): never {
  const text = err instanceof Error ? err.toString() : String(err);
  process.stderr.write(`micro: ${text.split('\n')[0]}\n`);
  process.exit(1);
}

const meshOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option('--registry <name>', 'registry to use').choices(['mdns', 'memory']).default('mdns'))
    .option('--mdns-port <port>', 'mDNS port (default 5353)');

const program = new Command('micro').description('micromesh: services as supervised actors across nodes').version(pkg.version);

meshOptions(program.command('services').description('list the services in the registry'))
  .option('--all', 'include the nodes themselves (micromesh.node)')
  .action(async (flags: MeshFlags & { all?: boolean }) => {
    const services = await withNode(flags, (node) => node.registry.listServices());
    const shown = services.filter((s) => flags.all || s.name !== NODE_SERVICE);
    for (const s of shown.sort((a, b) => a.name.localeCompare(b.name))) console.log(`${s.name}\t${s.version}\t${s.nodes.length} node(s)`);
  });

meshOptions(program.command('describe').argument('<service>').description('show the versions, endpoints and nodes of a service')).action(
  async (service: string, flags: MeshFlags) => {
    const versions = await withNode(flags, (node) => node.registry.getService(service));
    console.log(JSON.stringify(versions, null, 2));
  },
);

meshOptions(
  program
    .command('call')
    .argument('<service>')
    .argument('<endpoint>', 'Type.Method')
    .argument('[request]', 'the request as JSON', '{}')
    .description('call an endpoint and print the reply as JSON'),
)
  .option('--timeout <ms>', 'deadline of the call', '10000')
  .option('--metadata <json>', 'metadata headers as a JSON object')
  .action(async (service: string, endpoint: string, request: string, flags: MeshFlags & { timeout: string; metadata?: string }) => {
    let body: unknown;
    let metadata: Record<string, string> | undefined;
    try {
      body = JSON.parse(request);
      metadata = flags.metadata === undefined ? undefined : (JSON.parse(flags.metadata) as Record<string, string>);
    } catch (err) {
      fail(new Error(`the request and metadata must be JSON: ${(err as Error).message}`));
    }
    const reply = await withNode(flags, (node) => node.client.call(service, endpoint, body, { timeoutMs: Number(flags.timeout), metadata }));
    console.log(JSON.stringify(reply, null, 2));
  });

program.parseAsync(process.argv).catch(fail);
