import { createNode, type MicroError } from 'micromesh';

// The calling node of the demo: spreads calls over both servers, streams, then keeps calling while the
// parent kills one server, and reports what happened.
const node = await createNode({ id: 'caller' });
const say = (line: string) => console.log(`[caller] ${line}`);

async function waitForServers(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const services = await node.registry.getService('greeter').catch(() => []);
    if (services.flatMap((s) => s.nodes).length >= count) return;
    if (Date.now() > deadline) throw new Error('servers did not appear in the registry');
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Reply = { msg: string; servedBy: string };
async function round(n: number): Promise<{ byNode: Record<string, number>; failed: number }> {
  const byNode: Record<string, number> = {};
  let failed = 0;
  for (let i = 0; i < n; i++) {
    try {
      const r = await node.client.call<Reply>('greeter', 'Say.Hello', { name: `caller-${i}` }, { timeoutMs: 2000, selector: 'round-robin' });
      byNode[r.servedBy] = (byNode[r.servedBy] ?? 0) + 1;
    } catch (err) {
      failed++;
      say(`call failed: ${(err as MicroError).toString()}`);
    }
  }
  return { byNode, failed };
}

await waitForServers(2);
const first = await round(20);
say(`20 calls spread over the servers: ${JSON.stringify(first.byNode)}`);

const stream = await node.client.stream<string, Reply>('greeter', 'Say.Stream');
for (const name of ['Ada', 'Grace', 'Barbara']) await stream.send(name);
stream.closeSend();
for await (const r of stream) say(`stream reply: ${r.msg} (from ${r.servedBy})`);

console.log('kill-one');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const after = await round(20);
say(`20 calls after the kill: ${JSON.stringify(after.byNode)}, ${after.failed} failed`);
await node.stop();
process.exit(after.failed === 0 && first.failed === 0 ? 0 : 1);
