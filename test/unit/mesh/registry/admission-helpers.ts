import type { AdmitCandidate, AdmitProbe } from '../../../../src/mesh/registry/admission.ts';
import type { MdnsRegistry } from '../../../../src/mesh/registry/mdns.ts';
import { collectWatch, svc } from '../../../conformance/registry.ts';
import { sendAll, type Spy, txtOf } from './mdns-spy.ts';
import { waitUntil } from '../../../support/wait.ts';

/** The service `settle` announces; admission gates made by `createGate` let it through at once. */
export const MARKER = 'zz-marker';

export interface Gate {
  readonly admit: AdmitProbe;
  /** Every call of `admit`, in order. */
  readonly calls: AdmitCandidate[];
  /** Settles the pending call for that node and address. */
  answer(id: string, address: string, ok: boolean): void;
  /** Calls not answered yet. */
  readonly pending: number;
}

/**
 * An `admit` under the test's control: `decide` answers at once when it returns a boolean, otherwise the call
 * waits for `answer`. Markers are always admitted (and not recorded).
 */
export function createGate(decide: (node: AdmitCandidate) => boolean | undefined = () => undefined): Gate {
  const calls: AdmitCandidate[] = [];
  const waiting = new Map<string, (ok: boolean) => void>();
  return {
    calls,
    admit: (node) => {
      if (node.service === MARKER) return Promise.resolve(true);
      calls.push(node);
      const now = decide(node);
      if (now !== undefined) return Promise.resolve(now);
      return new Promise<boolean>((resolve) => waiting.set(`${node.id}@${node.address}`, resolve));
    },
    answer(id, address, ok) {
      const resolve = waiting.get(`${id}@${address}`);
      if (resolve === undefined) throw new Error(`no pending admit call for ${id}@${address}`);
      waiting.delete(`${id}@${address}`);
      resolve(ok);
    },
    get pending() {
      return waiting.size;
    },
  };
}

let markers = 0;

/**
 * Announces a fresh marker node from the spy and waits until the registry has it. Packets from one sender arrive
 * in order, so everything the spy sent before has been handled by then; a lost marker is sent again.
 */
export async function settle(spy: Spy, domain: string, registry: MdnsRegistry): Promise<void> {
  const id = `m${++markers}`;
  const marker = svc(MARKER, '1', [id]);
  const watch = collectWatch(registry.watch({ service: MARKER }));
  try {
    for (let attempt = 0; ; attempt++) {
      await sendAll(spy, [txtOf(domain, marker, 300_000)]);
      try {
        await watch.next((e) => e.type !== 'delete' && e.service.nodes.some((n) => n.id === id), 250);
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
      }
    }
  } finally {
    watch.stop();
  }
}

/** Waits until `predicate` holds, failing after `timeoutMs`. */
export function until(predicate: () => boolean, timeoutMs = 3000, what = 'a condition'): Promise<void> {
  return waitUntil(predicate, timeoutMs, what);
}
