/**
 * The raw nats.js peer's server, run as a child process: a subscription on `--subject` that answers every request
 * with its payload, as a hand-written NATS service would.
 */
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { announceReady } from '../lib/child-ready.ts';
import { BENCH_NATS_URL } from './nats-bench.ts';

const { values } = parseArgs({ options: { subject: { type: 'string' } } });
if (values.subject === undefined) throw new Error('--subject is required');
const nc = await connect({ servers: new URL(BENCH_NATS_URL).host });
nc.subscribe(values.subject, { callback: (_err, msg) => msg.respond(msg.data) });
await nc.flush();
announceReady(0, () => nc.drain());
