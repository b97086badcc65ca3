import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { createNode, type MeshNode } from '../index.ts';
import { NODE_SERVICE } from '../mesh/node.ts';
import { addGenCommand } from './gen/command.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface MeshFlags {
  registry?: string;
  transport?: string;
  mdnsPort?: string;
}

/** A short-lived node for one command, on the same defaults as any node (mDNS on loopback, or MICRO_* env). */
async function withNode<T>(flags: MeshFlags, run: (node: MeshNode) => Promise<T>): Promise<T> {
  const port = flags.mdnsPort === undefined ? undefined : Number(flags.mdnsPort);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) throw new Error(`--mdns-port wants a port number, not "${flags.mdnsPort}"`);
  const node = await createNode({
    id: `micro-cli-${process.pid}`,
    ...(flags.registry === undefined ? {} : { registry: flags.registry }),
    ...(flags.transport === undefined ? {} : { transport: flags.transport }),
    ...(port === undefined ? {} : { mdns: { port } }),
  });
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
    .addOption(new Option('--registry <name|url>', 'registry: mdns, memory, or a plugin URL').env('MICRO_REGISTRY'))
    .addOption(new Option('--transport <name|url>', 'transport: tcp, memory, or a plugin URL').env('MICRO_TRANSPORT'))
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
    const timeoutMs = Number(flags.timeout);
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) fail(new Error(`--timeout wants a positive number of milliseconds, not "${flags.timeout}"`));
    const reply = await withNode(flags, (node) => node.client.call(service, endpoint, body, { timeoutMs, metadata }));
    console.log(JSON.stringify(reply, null, 2));
  });

addGenCommand(program);

program.parseAsync(process.argv).catch(fail);
