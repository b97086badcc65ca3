import type { MicroError } from '../errors.ts';
import type { StreamChannel } from '../stream-channel.ts';

/**
 * The client's side of a bidirectional stream: `send` waits while the server has granted no credit, the
 * replies are an async iterable (it throws the server's MicroError if the handler failed), `closeSend` ends the
 * requests, `cancel` ends everything and aborts the server's handler.
 */
export class ClientStream<Req, Res> implements AsyncIterable<Res> {
  constructor(readonly channel: StreamChannel<Res, Req>) {}

  send(message: Req): Promise<void> {
    return this.channel.send(message);
  }

  closeSend(): void {
    this.channel.closeSend();
  }

  cancel(): void {
    this.channel.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<Res> {
    return this.channel[Symbol.asyncIterator]();
  }

  /** Collects every reply until the server ends the stream. */
  async collect(): Promise<Res[]> {
    const out: Res[] = [];
    for await (const r of this) out.push(r);
    return out;
  }

  /** Calls `listener` once when the stream has closed (at once if it has), with its error if it failed. */
  whenClosed(listener: (error: MicroError | undefined) => void): void {
    this.channel.whenClosed(listener);
  }

  get closed(): boolean {
    return this.channel.closed;
  }

  get error(): MicroError | undefined {
    return this.channel.error;
  }
}
