/** `micro stream <service> <Type.Method>`: JSON lines from stdin go out, each reply comes back as a JSON line. */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ClientStream } from '../../mesh/client/client-stream.ts';
import { fail, type MeshFlags, meshOptions, timeoutOf, withNode } from '../mesh.ts';

/** Sends each non-blank stdin line, then closes the send side at EOF; a line that is not JSON cancels the stream. */
async function pump(stream: ClientStream<unknown, unknown>): Promise<void> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    n += 1;
    if (line.trim() === '') continue;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (err) {
      stream.cancel();
      fail(new Error(`stdin line ${n} is not JSON: ${(err as Error).message}`));
    }
    if (stream.closed) break;
    await stream.send(message);
  }
  if (!stream.closed) stream.closeSend();
}

export function addStreamCommand(program: Command): void {
  meshOptions(
    program
      .command('stream')
      .argument('<service>')
      .argument('<endpoint>', 'Type.Method')
      .description('open a bidirectional stream: send each stdin line (JSON), print each reply as a JSON line'),
    30_000,
  )
    .option('--metadata <json>', 'metadata headers as a JSON object')
    .addHelpText('after', `\nThe stream ends at EOF on stdin, and --timeout bounds it as a whole.\n\nExamples:\n  $ printf '"Ada"\\n"Bo"\\n' | micro stream greeter Say.Stream\n  $ micro stream chat Room.Join --timeout 600000 < messages.jsonl\n`)
    .action(async (service: string, endpoint: string, flags: MeshFlags & { metadata?: string }) => {
      const timeoutMs = timeoutOf(flags);
      let metadata: Record<string, string> | undefined;
      try {
        metadata = flags.metadata === undefined ? undefined : (JSON.parse(flags.metadata) as Record<string, string>);
      } catch (err) {
        fail(new Error(`the metadata must be JSON: ${(err as Error).message}`));
      }
      await withNode(flags, async (node) => {
        const stream = await node.client.stream(service, endpoint, { timeoutMs, metadata });
        const sending = pump(stream);
        // A failed send surfaces through the replies too; this keeps it from being an unhandled rejection meanwhile.
        sending.catch(() => {});
        for await (const reply of stream) process.stdout.write(`${JSON.stringify(reply)}\n`);
        // The server has ended the stream: whatever stdin still holds has nowhere to go.
        process.stdin.destroy();
      });
    });
}
