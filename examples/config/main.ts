/**
 * Dynamic config: a greeter that reads its greeting from config.yaml (then env), and follows edits while it runs.
 *
 *   npx tsx examples/config/main.ts               # runs on a copy of config.yaml, edits it, shows the hot reloads
 *   npx tsx examples/config/main.ts my.yaml       # loads my.yaml once and prints it; a broken file exits 1
 */
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigEvent, createNode, defineService, type MeshNode } from 'micromesh';
import * as v from 'valibot';

const Greeter = v.object({ greeting: v.string(), signature: v.string() });

const given = process.argv[2];
const dir = given === undefined ? mkdtempSync(join(tmpdir(), 'micromesh-config-')) : undefined;
const file = given ?? join(dir as string, 'config.yaml');
if (dir !== undefined) copyFileSync(new URL('./config.yaml', import.meta.url), file);

const node: MeshNode = await createNode({ registry: 'memory', transport: 'memory', address: 'mem://config-example', config: [file, 'env'] }).catch(
  (err: unknown) => {
    console.error(`config example: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

if (given !== undefined) {
  console.log(`loaded ${file}: ${JSON.stringify(node.config.get(''))}`);
  await node.stop();
  process.exit(0);
}

const greeter = defineService({
  name: 'greeter',
  endpoints: {
    // The handler reads config on each call, so an edit applies to the next call without a restart.
    'Say.Hello': (req: { name: string }) => {
      const { greeting, signature } = node.config.scan(Greeter, 'greeter');
      return `${greeting} ${req.name}, from ${signature}`;
    },
  },
});
await node.serve(greeter);

/** Edits the file as an editor saves it: write a temporary file, rename it over the original. */
function save(edit: (text: string) => string): void {
  writeFileSync(`${file}.tmp`, edit(readFileSync(file, 'utf8')));
  renameSync(`${file}.tmp`, file);
}

/** Resolves with the next config error event. */
function nextError(): Promise<Extract<ConfigEvent, { type: 'error' }>> {
  return new Promise((resolve) => {
    const off = node.config.onEvent((e) => {
      if (e.type !== 'error') return;
      off();
      resolve(e);
    });
  });
}

/** Resolves with the next value of `path`. */
function nextValue(path: string): Promise<unknown> {
  return new Promise((resolve) => {
    const off = node.config.watch(path, (value) => {
      off();
      resolve(value);
    });
  });
}

node.config.watch('greeter.greeting', (value, previous) => console.log(`config changed: greeter.greeting ${JSON.stringify(previous)} → ${JSON.stringify(value)}`));
node.config.watch('client.services.greeter.timeoutMs', (value) => console.log(`config changed: greeter calls now time out after ${value} ms`));

console.log(await node.client.call('greeter', 'Say.Hello', { name: 'Ada' }));

const changed = nextValue('greeter.greeting');
save((text) => text.replace('greeting: Hello', 'greeting: Howdy').replace('timeoutMs: 2000', 'timeoutMs: 500'));
await changed;
console.log(await node.client.call('greeter', 'Say.Hello', { name: 'Ada' }));

const failed = nextError();
save((text) => text.replace('greeting: Howdy', 'greeting: [Howdy'));
console.log(`config error: ${(await failed).error.message}`);
console.log(`still serving the last good settings: ${await node.client.call('greeter', 'Say.Hello', { name: 'Ada' })}`);

await node.stop();
rmSync(dir as string, { recursive: true, force: true });
