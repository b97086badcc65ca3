import { type Logger, silentLogger } from '../../actors/logger.ts';
import { MicroError } from '../errors.ts';
import { type Clock, type RegisterOptions, type Registry, type Service, systemClock, type Watcher, type WatchOptions } from './registry.ts';
import { parseService } from './service-shape.ts';
import { ServiceTable } from './service-table.ts';
import { WatchHub } from './watch-hub.ts';

export interface MemoryRegistryOptions {
  /** Time source for TTL expiry. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /** Events a watcher buffers for a slow consumer before dropping the oldest. @default 4096 */
  watchBuffer?: number;
}

export function defaultMemoryRegistryOptions(): Required<MemoryRegistryOptions> {
  return { clock: systemClock, logger: silentLogger, watchBuffer: 4096 };
}

/**
 * A registry held in this process: the test double, and the way several nodes in one process find each other
 * (pass the same instance to each). Whoever creates it closes it; a node handed an instance must not.
 * @example
 * const registry = createMemoryRegistry();
 * await registry.register({ name: 'greeter', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'n1', address: '127.0.0.1:4000', metadata: {} }] });
 * const [v1] = await registry.getService('greeter');
 */
export function createMemoryRegistry(options: MemoryRegistryOptions = {}): MemoryRegistry {
  return new MemoryRegistry(options);
}

export class MemoryRegistry implements Registry {
  readonly name = 'memory';
  readonly #table = new ServiceTable();
  readonly #hub: WatchHub;
  readonly #clock: Clock;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: MemoryRegistryOptions = {}) {
    const o = { ...defaultMemoryRegistryOptions(), ...options };
    this.#clock = o.clock;
    this.#hub = new WatchHub({ capacity: o.watchBuffer, logger: o.logger });
  }

  async register(service: Service, options: RegisterOptions = {}): Promise<void> {
    this.#open();
    const checked = parseService(service);
    const ttlMs = options.ttlMs;
    if (ttlMs !== undefined && !(ttlMs > 0)) throw new MicroError('BAD_REQUEST', `ttlMs must be positive, got ${ttlMs}`, { id: 'micromesh.registry' });
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#clock.now() + ttlMs;
    this.#hub.emit(this.#table.upsert(checked, expiresAt));
    if (expiresAt < this.#timerAt) this.#arm(expiresAt);
  }

  async deregister(service: Service): Promise<void> {
    this.#open();
    const checked = parseService(service, { requireNodes: false });
    this.#hub.emit(this.#table.remove(checked.name, checked.version, checked.nodes.map((n) => n.id)));
  }

  async getService(name: string): Promise<Service[]> {
    this.#open();
    const found = this.#table.get(name);
    if (found === undefined) throw new MicroError('SERVICE_NOT_FOUND', `service ${name} not found`, { id: 'micromesh.registry' });
    return found;
  }

  async listServices(): Promise<Service[]> {
    this.#open();
    return this.#table.list();
  }

  watch(options?: WatchOptions): Watcher {
    return this.#closed ? this.#hub.closed() : this.#hub.open(options);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#hub.stopAll();
  }

  #open(): void {
    if (this.#closed) throw new MicroError('UNAVAILABLE', 'memory registry is closed', { id: 'micromesh.registry' });
  }

  // One timer, for the earliest expiry; a refresh that pushes an expiry later leaves it early, and it re-arms.
  #arm(at: number): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimeout(() => this.#expire(), Math.max(0, at - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    for (const event of this.#table.expire(this.#clock.now())) this.#hub.emit(event);
    this.#arm(this.#table.nextExpiry());
  }
}
