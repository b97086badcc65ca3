/**
 * The actor that watches one config source. Its start begins the source's watch, then has the source read again, so
 * a change made before the watch was in place (or while it was down) is seen; a change is handed to the config;
 * a broken watch fails the actor, and its supervisor restarts it with backoff. A source that is unreachable keeps
 * failing here, backing off, until it answers.
 */
import type { Actor, ActorContext } from '../../actors/index.ts';
import type { ConfigSource, SourceWatch } from './config.ts';

type WatcherMessage = { type: 'changed' } | { type: 'failed'; error: unknown };

/** What a watcher needs from its config. */
export interface WatcherHost {
  /** The source changed (or may have): read it again soon. */
  changed(index: number): void;
}

export class SourceWatcher implements Actor<WatcherMessage> {
  #watch: SourceWatch | undefined;

  constructor(
    readonly source: ConfigSource,
    readonly index: number,
    readonly host: WatcherHost,
  ) {}

  async preStart(ctx: ActorContext<WatcherMessage>): Promise<void> {
    const watch = this.source.watch;
    if (watch === undefined) return;
    this.#watch = await watch.call(this.source, {
      changed: () => ctx.self.tell({ type: 'changed' }),
      failed: (error) => ctx.self.tell({ type: 'failed', error }),
    });
    this.host.changed(this.index);
  }

  receive(message: WatcherMessage): void {
    if (message.type === 'failed') throw message.error instanceof Error ? message.error : new Error(String(message.error));
    this.host.changed(this.index);
  }

  async preRestart(): Promise<void> {
    await this.#stop();
  }

  async postStop(): Promise<void> {
    await this.#stop();
  }

  async #stop(): Promise<void> {
    const w = this.#watch;
    this.#watch = undefined;
    await w?.stop();
  }
}
