import { createNode } from '/work/wt/broker/src/plugins/node.ts';
const N = Number(process.env.N ?? 100000);
const role = process.argv[2];
const node = await createNode({ id: role, broker: 'nats://127.0.0.1:4222', registry: 'memory', transport: 'memory', address: `mem://${role}` });
if (role === 'sub') {
  let n = 0; let t0 = 0;
  const timer = setInterval(() => console.log('count', n, 'dl', (node.system as any).stats?.().deadLetters), 1000);
  await node.subscribe('prof.x', () => { if (n++ === 0) t0 = performance.now(); if (n === N) { console.log('sub rate', Math.round(N / ((performance.now() - t0) / 1000))); clearInterval(timer); void node.stop().then(() => process.exit(0)); } });
  console.log('ready');
} else {
  await new Promise(r => setTimeout(r, 1500));
  let ps = [];
  const t = performance.now();
  for (let i = 0; i < N; i++) { ps.push(node.publish('prof.x', { t: 1, pad: 'x'.repeat(70) })); if (ps.length >= 200) { await Promise.all(ps); ps = []; await new Promise(r => setTimeout(r, 2)); } }
  await Promise.all(ps);
  console.log('pub rate', Math.round(N / ((performance.now() - t) / 1000)));
  await node.stop();
}
