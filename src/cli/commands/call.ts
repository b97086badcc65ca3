/** `micro call <service> <Type.Method> [json|-]`: one request, one reply. */
import type { Command } from 'commander';
import { fail, type MeshFlags, meshOptions, parseJson, readStdin, timeoutOf, withNode } from '../mesh.ts';

/** The request: the argument, or stdin when it is `-`, or absent while stdin is not a terminal; empty is `{}`. */
async function requestText(arg: string | undefined): Promise<string> {
  if (arg !== undefined && arg !== '-') return arg;
  if (arg === undefined && process.stdin.isTTY) return '{}';
  const text = (await readStdin()).trim();
  return text === '' ? '{}' : text;
}

export function addCallCommand(program: Command): void {
  meshOptions(
    program
      .command('call')
      .argument('<service>')
      .argument('<endpoint>', 'Type.Method')
      .argument('[request]', 'the request as JSON; - (or none, with stdin piped) reads it from stdin')
      .description('call an endpoint and print the reply as JSON'),
  )
    .option('--metadata <json>', 'metadata headers as a JSON object')
    .addHelpText('after', `\nExamples:\n  $ micro call greeter Say.Hello '{"name":"Ada"}'\n  $ echo '{"name":"Ada"}' | micro call greeter Say.Hello --output json\n`)
    .action(async (service: string, endpoint: string, request: string | undefined, flags: MeshFlags & { metadata?: string }) => {
      const timeoutMs = timeoutOf(flags);
      const body = parseJson(await requestText(request), 'the request');
      const metadata = flags.metadata === undefined ? undefined : parseJson(flags.metadata, 'the metadata');
      if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) fail(new Error('the metadata must be JSON: an object of strings'));
      const reply = await withNode(flags, (node) => node.client.call(service, endpoint, body, { timeoutMs, metadata: metadata as Record<string, string> | undefined }));
      console.log(flags.output === 'json' ? JSON.stringify(reply) : JSON.stringify(reply, null, 2));
    });
}
