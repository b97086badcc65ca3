/** The memory broker: subscriptions in one process; nodes given the same hub share them. */
import { MicroError } from '../errors.ts';
import type { Broker, BrokerMessage, BrokerSink, BrokerSubscribeOptions, BrokerSubscription } from './broker.ts';
import { topicMatcher } from './topic.ts';

interface Entry {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly matches: (topic: string) => boolean;
  readonly sink: BrokerSink;
}

/** Subscriptions shared by every memory broker made with it. */
export class MemoryBrokerHub {
  readonly #entries = new Set<Entry>();
  readonly #turns = new Map<string, number>();

  add(entry: Entry): () => void {
    this.#entries.add(entry);
    return () => this.#entries.delete(entry);
  }

  /** Delivers to every broadcast match and one member per queue group (in turn). */
  publish(message: BrokerMessage): void {
    const groups = new Map<string, Entry[]>();
    const errors: unknown[] = [];
    for (const e of this.#entries) {
      if (!e.matches(message.topic)) continue;
      if (e.queue === undefined) {
        try {
          e.sink.deliver(message);
        } catch (err) {
          errors.push(err);
        }
        continue;
      }
      const members = groups.get(e.queue);
      if (members === undefined) groups.set(e.queue, [e]);
      else members.push(e);
    }
    for (const [queue, members] of groups) {
      const turn = this.#turns.get(queue) ?? 0;
      this.#turns.set(queue, (turn + 1) % 1_000_000);
      try {
        (members[turn % members.length] as Entry).sink.deliver(message);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw MicroError.from(errors[0]);
  }
}

export interface MemoryBrokerOptions {
  /** Share subscriptions with other memory brokers (other nodes in this process). @default a hub of its own */
  hub?: MemoryBrokerHub;
}

class MemoryBroker implements Broker {
  readonly name = 'memory';
  readonly #hub: MemoryBrokerHub;
  readonly #own = new Set<() => void>();
  #closed = false;

  constructor(options: MemoryBrokerOptions) {
    this.#hub = options.hub ?? new MemoryBrokerHub();
  }

  async publish(message: BrokerMessage): Promise<void> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory broker closed');
    this.#hub.publish(message);
  }

  async subscribe(pattern: string, options: BrokerSubscribeOptions, sink: BrokerSink): Promise<BrokerSubscription> {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory broker closed');
    const remove = this.#hub.add({ pattern, queue: options.queue, matches: topicMatcher(pattern), sink });
    this.#own.add(remove);
    return {
      pattern,
      queue: options.queue,
      unsubscribe: async () => {
        remove();
        this.#own.delete(remove);
      },
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const remove of this.#own) remove();
    this.#own.clear();
  }
}

/**
 * A broker in this process only; pass one `hub` to brokers of nodes that should hear each other.
 * @example
 * const hub = new MemoryBrokerHub();
 * const a = await createNode({ broker: createMemoryBroker({ hub }) });
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  return new MemoryBroker(options);
}
