/** `micro publish <topic> [json|-]`: one message to every subscriber of a topic. */
import { type Command, Option } from 'commander';
import { fail, type MeshFlags, meshOptions, parseJson, readStdin, withNode } from '../mesh.ts';

/** The message: the argument, or stdin when it is `-` (or absent while stdin is piped); empty is `null`. */
async function messageText(arg: string | undefined): Promise<string> {
  if (arg !== undefined && arg !== '-') return arg;
  if (arg === undefined && process.stdin.isTTY) fail(new Error('give the message as JSON, or - to read it from stdin'));
  const text = (await readStdin()).trim();
  return text === '' ? 'null' : text;
}

type PublishFlags = MeshFlags & { metadata?: string; codec?: string; type?: string };

export function addPublishCommand(program: Command): void {
  meshOptions(
    program
      .command('publish')
      .argument('<topic>', 'dot-separated topic, e.g. orders.created')
      .argument('[message]', 'the message as JSON; - (or none, with stdin piped) reads it from stdin')
      .description('publish a message on a topic (pub/sub) and wait until the broker took it'),
  )
    .addOption(new Option('--broker <name|url>', 'broker: mesh, memory, or a plugin URL (nats://…, redis://…)').env('MICRO_BROKER'))
    .option('--metadata <json>', 'metadata headers as a JSON object of strings')
    .option('--codec <content-type>', 'encode with this content type (application/json, application/msgpack)')
    .option('--type <type>', 'the CloudEvents type (default: the topic)')
    .addHelpText(
      'after',
      `\nExamples:\n  $ micro publish orders.created '{"id":42}'\n  $ echo '{"id":42}' | micro publish orders.created --broker nats://127.0.0.1:4222\n  $ MICRO_BROKER=redis://127.0.0.1:6379 micro publish audit.login '"ada"' --metadata '{"tenant":"acme"}'\n`,
    )
    .action(async (topic: string, message: string | undefined, flags: PublishFlags) => {
      const body = parseJson(await messageText(message), 'the message');
      const metadata = flags.metadata === undefined ? undefined : parseJson(flags.metadata, 'the metadata');
      if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) fail(new Error('the metadata must be JSON: an object of strings'));
      await withNode(flags, (node) =>
        node.publish(topic, body, {
          metadata: metadata as Record<string, string> | undefined,
          ...(flags.codec === undefined ? {} : { codec: flags.codec }),
          ...(flags.type === undefined ? {} : { type: flags.type }),
        }),
      );
      if (flags.output === 'json') console.log(JSON.stringify({ topic, published: true }));
      else console.log(`published to ${topic}`);
    });
}
