import { micromeshNatsImpl } from './peers/micromesh.ts';
import { rawNatsImpl } from './peers/raw-nats.ts';
import { moleculerNatsImpl } from './peers/moleculer-nats.ts';
const body = { id: 1, name: 'x'.repeat(60), tags: ['a', 'b'] };
const impls = process.argv.slice(2).map((n) => ({ micromesh: micromeshNatsImpl, raw: rawNatsImpl, moleculer: moleculerNatsImpl })[n]!);
const running = [];
for (const impl of impls) {
  const server = await impl.startServer();
  const client = await impl.createClient(server.address);
  running.push({ name: impl.name, server, client });
}
for (const c of [1, 64, 256]) {
  for (const r of running) {
    const until = performance.now() + 2000;
    let n = 0;
    await Promise.all(Array.from({ length: c }, async () => { while (performance.now() < until) { await r.client.call(body); n++; } }));
    console.log(`${r.name} c=${c}: ${Math.round(n / 2)} ops/s`);
  }
}
for (const r of running) { await r.client.close(); await r.server.stop(); }
