import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { type CheckResult, type LinkHost, LinkedRegistry, type LocalRecord, type RegistryLink } from '../../../../src/mesh/registry/linked.ts';
import { svc } from '../../../conformance/registry.ts';

/** A link over a shared in-memory bus: every put reaches every other link at once. */
function bus() {
  const hosts = new Set<LinkHost>();
  /** Links marked dead send nothing more: a process killed without a goodbye. */
  const dead = new Set<RegistryLink>();
  const link = (options: { localExpiry: boolean; check?: (nodeId: string) => Promise<CheckResult> }): RegistryLink => {
    let me: LinkHost | undefined;
    const self: RegistryLink = {
      name: 'fake',
      localExpiry: options.localExpiry,
      check: options.check,
      open: async (host) => {
        me = host;
        hosts.add(host);
      },
      publish: async (r: LocalRecord) => {
        if (!dead.has(self)) for (const h of hosts) if (h !== me) h.put(r.key, r.data);
      },
      refresh: async (records) => {
        if (!dead.has(self)) for (const h of hosts) if (h !== me) for (const r of records) if (!h.alive(r.key, r.hash)) h.put(r.key, r.data);
      },
      remove: async (keys) => {
        if (!dead.has(self)) for (const h of hosts) if (h !== me) for (const k of keys) h.gone(k);
      },
      close: async () => {
        if (me !== undefined) hosts.delete(me);
      },
    };
    return self;
  };
  return { link, kill: (l: RegistryLink) => dead.add(l) };
}

test('linked registry — records a probe admits later do not expire when the engine reports expiry itself', async () => {
  const clock = createSimulatedClock();
  const { link } = bus();
  const writer = new LinkedRegistry(link({ localExpiry: false }), { clock, ttlMs: 300 });
  const reader = new LinkedRegistry(link({ localExpiry: false }), { clock, ttlMs: 300, admit: async () => true });
  await Promise.all([writer.ready(), reader.ready()]);
  await writer.register(svc('held', '1', ['n1']));
  await new Promise((r) => setImmediate(r));
  assert.equal((await reader.getService('held'))[0].nodes.length, 1);
  clock.advance(5000);
  assert.equal((await reader.getService('held'))[0].nodes.length, 1, 'still there after many TTLs');
  await Promise.all([writer.close(), reader.close()]);
});

test('linked registry — a silent node is checked: dropped when gone, kept while this registry is offline', async () => {
  const clock = createSimulatedClock();
  const { link, kill } = bus();
  let state: CheckResult = 'offline';
  const checked: string[] = [];
  const writerLink = link({ localExpiry: true });
  const writer = new LinkedRegistry(writerLink, { clock, ttlMs: 300, missWaitMs: 0 });
  const check = async (id: string): Promise<CheckResult> => {
    checked.push(id);
    return state;
  };
  const reader = new LinkedRegistry(link({ localExpiry: true, check }), { clock, ttlMs: 300, missWaitMs: 0 });
  await Promise.all([writer.ready(), reader.ready()]);
  await writer.register(svc('silent', '1', ['n1']));
  // The writer goes quiet without a goodbye (its refreshes stop reaching anyone).
  kill(writerLink);
  assert.equal((await reader.getService('silent'))[0].nodes.length, 1);
  // Time passes in steps, so that each check's answer lands before the next timer.
  const pass = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await new Promise((r) => setImmediate(r));
    }
  };
  await pass(2000);
  assert.ok(checked.includes('n1'), 'the silent node was checked');
  assert.equal((await reader.getService('silent'))[0].nodes.length, 1, 'kept while offline');
  state = 'gone';
  await pass(400);
  await assert.rejects(reader.getService('silent'), /not found/);
  await Promise.all([writer.close(), reader.close()]);
});

test('linked registry — a check that answers late decides: its node is not dropped while the answer is on its way', async () => {
  const clock = createSimulatedClock();
  const { link, kill } = bus();
  const writerLink = link({ localExpiry: true });
  const writer = new LinkedRegistry(writerLink, { clock, ttlMs: 300, missWaitMs: 0 });
  let answer: ((state: CheckResult) => void) | undefined;
  const check = (): Promise<CheckResult> => new Promise((resolve) => (answer = resolve));
  const reader = new LinkedRegistry(link({ localExpiry: true, check }), { clock, ttlMs: 300, missWaitMs: 0 });
  await Promise.all([writer.ready(), reader.ready()]);
  await writer.register(svc('slow-check', '1', ['n1']));
  kill(writerLink);
  const pass = async (ms: number) => {
    for (let t = 0; t < ms; t += 25) {
      clock.advance(25);
      await new Promise((r) => setImmediate(r));
    }
  };
  // Silent for half its TTL: checked. The answer takes longer than the other half (a loaded event loop).
  await pass(150 + 200);
  assert.ok(answer !== undefined, 'the silent node was checked');
  assert.equal((await reader.getService('slow-check'))[0].nodes.length, 1, 'kept while its check is unanswered');
  (answer as (state: CheckResult) => void)('offline');
  answer = undefined;
  await pass(50);
  assert.equal((await reader.getService('slow-check'))[0].nodes.length, 1, 'kept: this registry is offline');
  // A check that never answers ends after a whole TTL: the node leaves.
  await pass(1000);
  await assert.rejects(reader.getService('slow-check'), /not found/);
  await Promise.all([writer.close(), reader.close()]);
});

test('linked registry — records falling due within one expiry pass are all checked, none expires unchecked', async () => {
  // A real clock moves while a pass runs, and a timer may fire a little before its time (Node counts from the event
  // loop's cached time): here each reading is a little later than the one before, and timers run half a ms early.
  const sim = createSimulatedClock();
  let drift = 0;
  const clock = {
    now: () => sim.now() + (drift += 0.01),
    setTimeout: (callback: () => void, ms: number) => sim.setTimeout(callback, Math.max(0, ms - 0.5)),
    clearTimeout: (handle: unknown) => sim.clearTimeout(handle),
  };
  const { link, kill } = bus();
  const writerLink = link({ localExpiry: true });
  const writer = new LinkedRegistry(writerLink, { clock, ttlMs: 300, missWaitMs: 0 });
  const checked: string[] = [];
  const check = async (id: string): Promise<CheckResult> => {
    checked.push(id);
    return 'offline';
  };
  const reader = new LinkedRegistry(link({ localExpiry: true, check }), { clock, ttlMs: 300, missWaitMs: 0 });
  await Promise.all([writer.ready(), reader.ready()]);
  const names = ['due-a', 'due-b', 'due-c', 'due-d'];
  for (const name of names) await writer.register(svc(name, '1', ['n1']));
  kill(writerLink);
  for (let t = 0; t < 1500; t += 25) {
    sim.advance(25);
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(checked.length > 0, 'the silent node was checked');
  for (const name of names) assert.equal((await reader.getService(name))[0].nodes.length, 1, `${name} kept: this registry is offline`);
  await Promise.all([writer.close(), reader.close()]);
});
