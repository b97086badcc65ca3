/** `micro api`: the HTTP/WebSocket/MCP gateway in front of the mesh, until SIGINT or SIGTERM. */
import { type Command, Option } from 'commander';
import { createApiGateway, createNode } from '../../index.ts';
import { fail, type MeshFlags, meshOptions, nodeOptionsOf, timeoutOf } from '../mesh.ts';

interface ApiFlags extends MeshFlags {
  address: string;
  maxBody: string;
  requestTimeout: string;
  cors?: string;
  mcp: boolean;
  websocket: boolean;
  selector: 'random' | 'round-robin' | 'least-inflight';
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) fail(new Error(`${flag} wants a positive whole number, not "${value}"`));
  return n;
}

export function addApiCommand(program: Command): void {
  meshOptions(program.command('api').description('serve the mesh over HTTP (POST /<service>/<Type.Method>), WebSocket streams and MCP tools (/mcp)'))
    .addOption(new Option('--address <host:port>', 'where the gateway listens').env('MICRO_API_ADDRESS').default('127.0.0.1:8080'))
    .addOption(new Option('--max-body <bytes>', 'largest request body; larger is 413').env('MICRO_API_MAX_BODY').default('1048576'))
    .addOption(new Option('--request-timeout <ms>', 'time a client gets to send a whole request; slower is 408').env('MICRO_API_REQUEST_TIMEOUT').default('10000'))
    .addOption(new Option('--cors <origins>', 'comma-separated origins browsers may call from, or *').env('MICRO_API_CORS'))
    .addOption(new Option('--selector <name>', 'how a node is picked for each call').choices(['random', 'round-robin', 'least-inflight']).env('MICRO_SELECTOR').default('random'))
    .addOption(new Option('--no-mcp', 'do not serve MCP tools at /mcp'))
    .addOption(new Option('--no-websocket', 'do not serve streaming endpoints over WebSocket'))
    .addHelpText(
      'after',
      `\n--timeout is the deadline of each call through the gateway.\n\nExamples:\n  $ micro api\n  $ curl -d '{"name":"Ada"}' http://127.0.0.1:8080/greeter/Say.Hello\n  $ curl -H 'Micro-Endpoint: Say.Hello' -d '{"name":"Ada"}' http://127.0.0.1:8080/greeter\n  $ micro api --selector round-robin --address 0.0.0.0:8080 --cors https://app.example --max-body 65536\n`,
    )
    .action(async (flags: ApiFlags) => {
      const options = {
        address: flags.address,
        timeoutMs: timeoutOf(flags),
        maxBodyBytes: positive(flags.maxBody, '--max-body'),
        requestTimeoutMs: positive(flags.requestTimeout, '--request-timeout'),
        cors: { origins: flags.cors === undefined ? [] : flags.cors.split(',').map((o) => o.trim()).filter((o) => o !== '') },
        mcp: flags.mcp,
        websocket: flags.websocket,
      };
      const node = await createNode({ ...nodeOptionsOf(flags, `micro-api-${process.pid}`), client: { selector: flags.selector } });
      let api: Awaited<ReturnType<typeof createApiGateway>>;
      try {
        api = await createApiGateway(node, options);
      } catch (err) {
        await node.stop();
        throw err;
      }
      const line = flags.output === 'json' ? JSON.stringify({ url: api.url, mcp: flags.mcp ? `${api.url}/mcp` : null }) : `api gateway listening on ${api.url}${flags.mcp ? ` (MCP at ${api.url}/mcp)` : ''}`;
      process.stdout.write(`${line}\n`);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        void api
          .close()
          .then(() => node.stop())
          .then(() => process.exit(0), fail);
      };
      process.once('SIGINT', stop).once('SIGTERM', stop);
    });
}
