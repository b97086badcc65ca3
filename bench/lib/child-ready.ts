/**
 * The child side of ./child-process.ts: a peer server calls {@link announceReady} once it listens.
 * It then shuts down on SIGTERM, SIGINT, or when its stdin closes (the parent went away).
 */

/** Prints `ready <port>` and arranges for `stop` to run once before the process exits. */
export function announceReady(port: number, stop: () => Promise<void> | void): void {
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(stop)
      .catch((err: unknown) => process.stderr.write(`stop failed: ${String(err)}\n`))
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdin.once('end', shutdown);
  process.stdin.once('close', shutdown);
  process.stdin.resume();
  process.stdout.write(`ready ${port}\n`);
}
