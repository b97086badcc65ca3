/**
 * The subscriber process of bench/suites/pubsub.ts: `pubsub-subscriber.ts <impl id> <topic> <mdns port>`. Prints
 * `ready 0` once subscribed, `got <count>` after every 500 messages, and on a `report` line from stdin
 * `lat <count> <p50 µs> <p99 µs>` (latency from the publisher's clock to the handler), then resets.
 */
import { createHistogram } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ageUs, pubsubImpls } from './pubsub.ts';

const [id, topic, port] = process.argv.slice(2);
const impl = pubsubImpls.find((i) => i.id === id);
if (impl === undefined || topic === undefined) throw new Error(`usage: pubsub-subscriber.ts <${pubsubImpls.map((i) => i.id).join('|')}> <topic> <mdns port>`);

let count = 0;
let histogram = createHistogram();
const sub = await impl.subscriber(topic, { mdnsPort: Number(port) }, (t) => {
  count++;
  if ((count & 7) === 0) histogram.record(ageUs(t));
  if (count % 500 === 0) process.stdout.write(`got ${count}\n`);
});
process.stdout.write('ready 0\n');

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line !== 'report') return;
    const h = histogram;
    process.stdout.write(`lat ${count} ${h.count > 0 ? Math.round(h.percentile(50)) : 0} ${h.count > 0 ? Math.round(h.percentile(99)) : 0}\n`);
    histogram = createHistogram();
  })
  .on('close', () => {
    void sub.close().finally(() => process.exit(0));
  });
