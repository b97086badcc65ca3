import { type Logger, silentLogger } from '../../actors/logger.ts';
import type { WatchEvent, Watcher, WatchOptions } from './registry.ts';

// Fans registry changes out to watchers. Each watcher buffers what its consumer has not taken yet; the buffer is
// bounded so a consumer that stopped reading cannot grow memory without limit: past it the oldest events go and
// the loss is logged (a consumer that cares re-reads with getService).

const DEFAULT_BUFFER = 4096;

interface Waiter {
  resolve(result: IteratorResult<WatchEvent>): void;
}

class WatchChannel implements Watcher {
  readonly service: string | undefined;
  readonly #buffer: (WatchEvent | undefined)[] = [];
  #head = 0;
  #waiter: Waiter | undefined;
  #stopped = false;
  #dropped = 0;
  readonly #capacity: number;
  readonly #onStop: (w: WatchChannel) => void;
  readonly #log: Logger;

  constructor(service: string | undefined, capacity: number, log: Logger, onStop: (w: WatchChannel) => void) {
    this.service = service;
    this.#capacity = capacity;
    this.#log = log;
    this.#onStop = onStop;
  }

  push(event: WatchEvent): void {
    if (this.#stopped) return;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.#buffer.length - this.#head >= this.#capacity) {
      this.#buffer[this.#head++] = undefined;
      if (this.#dropped++ === 0) this.#log.warn({ service: this.service, capacity: this.#capacity }, 'registry watcher is not reading; dropping its oldest events');
    }
    this.#buffer.push(event);
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.#head < this.#buffer.length) {
      const value = this.#buffer[this.#head] as WatchEvent;
      this.#buffer[this.#head++] = undefined;
      if (this.#head === this.#buffer.length) {
        this.#buffer.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#stopped) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined) return Promise.reject(new Error('a registry watcher has one consumer at a time'));
    return new Promise((resolve) => {
      this.#waiter = { resolve };
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#buffer.length = 0;
    this.#head = 0;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
    this.#onStop(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

export class WatchHub {
  readonly #watchers = new Set<WatchChannel>();
  readonly #capacity: number;
  readonly #log: Logger;

  constructor(options: { capacity?: number; logger?: Logger } = {}) {
    this.#capacity = options.capacity ?? DEFAULT_BUFFER;
    this.#log = options.logger ?? silentLogger;
  }

  open(options: WatchOptions = {}): Watcher {
    const channel = new WatchChannel(options.service, this.#capacity, this.#log, (w) => this.#watchers.delete(w));
    this.#watchers.add(channel);
    return channel;
  }

  /** An already stopped watcher, for a registry that is closed. */
  closed(): Watcher {
    const channel = new WatchChannel(undefined, 0, this.#log, () => {});
    channel.stop();
    return channel;
  }

  emit(event: WatchEvent | undefined): void {
    if (event === undefined || this.#watchers.size === 0) return;
    for (const w of this.#watchers) if (w.service === undefined || w.service === event.service.name) w.push(event);
  }

  stopAll(): void {
    for (const w of [...this.#watchers]) w.stop();
  }
}
