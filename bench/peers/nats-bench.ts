/** What the rpc suite's NATS cases share: the server they all use and a subject or id unique to one run. */
export const BENCH_NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A token no other run of the bench on the same NATS server uses. */
export function benchRunToken(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
