/** What every mesh command shares: its flags, a short-lived node with a deadline, and one-line failures. */
import { type Command, Option } from 'commander';
import { createNode, type MeshNode, MicroError, type NodeOptions } from '../index.ts';
import type { Service } from '../mesh/registry/registry.ts';

export interface MeshFlags {
  registry?: string;
  transport?: string;
  mdnsPort?: string;
  /** Only on commands that take `--broker` (publish). */
  broker?: string;
  timeout: string;
  output: 'text' | 'json';
}

/** Time the node itself gets to start and stop, beyond the command's `--timeout`. */
const STARTUP_GRACE_MS = 3000;

/** Prints `micro: <first line>` on stderr and exits 1: every failure of every command ends here. */
export function fail(err: unknown): never {
  const text = err instanceof Error ? err.toString() : String(err);
  process.stderr.write(`micro: ${text.split('\n')[0]}\n`);
  process.exit(1);
}

/** `--timeout` as milliseconds, or a one-line failure for `abc`, `0` or `-5`. */
export function timeoutOf(flags: Pick<MeshFlags, 'timeout'>): number {
  const ms = Number(flags.timeout);
  if (!(Number.isFinite(ms) && ms > 0)) fail(new Error(`--timeout wants a positive number of milliseconds, not "${flags.timeout}"`));
  return ms;
}

/** The options of a command's node `id`, from its registry, transport and mDNS flags (checked). */
export function nodeOptionsOf(flags: Pick<MeshFlags, 'registry' | 'transport' | 'mdnsPort' | 'broker'>, id: string): NodeOptions {
  const port = flags.mdnsPort === undefined ? undefined : Number(flags.mdnsPort);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65_536)) fail(new Error(`--mdns-port wants a port number, not "${flags.mdnsPort}"`));
  return {
    id,
    ...(flags.registry === undefined ? {} : { registry: flags.registry }),
    ...(flags.transport === undefined ? {} : { transport: flags.transport }),
    ...(flags.broker === undefined ? {} : { broker: flags.broker }),
    ...(port === undefined ? {} : { mdns: { port } }),
  };
}

/**
 * A short-lived node for one command, on the same defaults as any node (mDNS on loopback, or MICRO_* env). The
 * whole command (start, work, stop) has `--timeout` plus a start-up grace; past it, a TIMEOUT MicroError.
 */
export async function withNode<T>(flags: MeshFlags, run: (node: MeshNode) => Promise<T>): Promise<T> {
  const options = nodeOptionsOf(flags, `micro-cli-${process.pid}`);
  const deadlineMs = timeoutOf(flags) + STARTUP_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MicroError('TIMEOUT', `no answer from the mesh within ${deadlineMs} ms (registry ${flags.registry ?? 'mdns'})`, { id: 'micro' })), deadlineMs);
  });
  const work = async (): Promise<T> => {
    const node = await createNode(options);
    try {
      return await run(node);
    } finally {
      await node.stop();
    }
  };
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The registry's view without the CLI's own node: its registration, and any service only it serves. */
export function withoutNode(services: Service[], nodeId: string): Service[] {
  return services.map((s) => ({ ...s, nodes: s.nodes.filter((n) => n.id !== nodeId) })).filter((s) => s.nodes.length > 0);
}

/** Adds the flags every mesh command takes, each with its MICRO_* environment variable. */
export const meshOptions = (cmd: Command, defaultTimeoutMs = 10_000): Command =>
  cmd
    .addOption(new Option('--registry <name|url>', 'registry: mdns, memory, or a plugin URL').env('MICRO_REGISTRY'))
    .addOption(new Option('--transport <name|url>', 'transport: tcp, memory, or a plugin URL').env('MICRO_TRANSPORT'))
    .addOption(new Option('--mdns-port <port>', 'mDNS port (default 5353)').env('MICRO_MDNS_PORT'))
    .addOption(new Option('--timeout <ms>', 'deadline of the command').env('MICRO_TIMEOUT').default(String(defaultTimeoutMs)))
    .addOption(new Option('--output <format>', 'text, or json for machines').choices(['text', 'json']).env('MICRO_OUTPUT').default('text'));

/** Reads all of stdin as text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses JSON, or fails with one line naming `what`. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(new Error(`${what} must be JSON: ${(err as Error).message}`));
  }
}
