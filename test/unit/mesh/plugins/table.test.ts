import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { builtinPlugin } from '../../../../src/mesh/plugins/builtin.ts';
import { definePlugin } from '../../../../src/mesh/plugins/plugin.ts';
import { createPluginTable, type ResolveContext } from '../../../../src/mesh/plugins/table.ts';
import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import { createMemoryTransport } from '../../../../src/mesh/transport/memory.ts';
import { fakeRegistryPlugin } from './fakes.ts';

const ctx: ResolveContext<'registry'> = { nodeId: 'n1', env: {} };
const KNOWN = 'known: mdns, memory; add a plugin with createNode({ plugins })';

function reason(expected: string, message?: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof MicroError, `expected a MicroError, got ${String(err)}`);
    assert.equal(err.reason, expected);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message !== undefined) assert.match(err.message, message);
    return true;
  };
}

describe('plugin table', () => {
  test('plugin table — a name runs its factory and the node owns what it made', async () => {
    const table = createPluginTable([builtinPlugin()]);
    const resolved = await table.resolve('registry', 'memory', ctx);
    assert.equal(resolved.value.name, 'memory');
    assert.equal(resolved.owned, true);
    assert.equal(resolved.plugin, 'micromesh');
    assert.deepEqual(resolved.target, { name: 'memory', url: undefined, raw: 'memory' });
    await resolved.value.close();
    await table.close();
  });

  test('plugin table — a URL runs the factory of its scheme with the URL and the node context', async () => {
    const fake = fakeRegistryPlugin('fake', ['fake', 'fakes']);
    const table = createPluginTable([builtinPlugin(), fake.plugin]);
    const logger = createRecordingLogger();
    const options = { ttlMs: 1234 };
    const resolved = await table.resolve('registry', 'fakes://10.0.0.1:4000/db?x=1', { nodeId: 'n7', logger, env: { A: 'b' }, options });
    assert.equal(fake.calls.length, 1);
    const [{ target, ctx: got, value }] = fake.calls;
    assert.equal(resolved.value, value);
    assert.equal(resolved.plugin, 'fake');
    assert.equal(target.name, 'fakes');
    assert.equal(target.url?.host, '10.0.0.1:4000');
    assert.equal(target.url?.searchParams.get('x'), '1');
    assert.equal(got.concern, 'registry');
    assert.equal(got.nodeId, 'n7');
    assert.equal(got.logger, logger);
    assert.deepEqual(got.env, { A: 'b' });
    assert.equal(got.options, options);
    await value.close();
  });

  test('plugin table — an unknown name is BAD_REQUEST listing the known names', async () => {
    const table = createPluginTable([builtinPlugin()]);
    await assert.rejects(table.resolve('registry', 'etcd', ctx), reason('BAD_REQUEST', `unknown registry "etcd" (${KNOWN})`));
    await assert.rejects(
      createPluginTable().resolve('transport', 'tcp', { nodeId: 'n1' }),
      reason('BAD_REQUEST', 'unknown transport "tcp" (no transport plugins; add a plugin with createNode({ plugins }))'),
    );
  });

  test('plugin table — an unknown scheme is BAD_REQUEST listing the known schemes, password hidden', async () => {
    const table = createPluginTable([builtinPlugin()]);
    await assert.rejects(
      table.resolve('registry', 'etcd://root:secret@127.0.0.1:2379', ctx),
      reason('BAD_REQUEST', 'unknown registry scheme "etcd:" in "etcd://root:***@127.0.0.1:2379" (known schemes: mdns:; add a plugin with createNode({ plugins }))'),
    );
    await assert.rejects(table.resolve('transport', 'nats://127.0.0.1:4222', { nodeId: 'n1' }), reason('BAD_REQUEST', /\(no transport plugin takes a URL; /));
  });

  test('plugin table — a bare name never matches a scheme, nor a URL a name', async () => {
    const table = createPluginTable([fakeRegistryPlugin('fake', ['fk']).plugin]);
    await assert.rejects(table.resolve('registry', 'fk', ctx), reason('BAD_REQUEST', /unknown registry "fk" \(known: fake;/));
    await assert.rejects(table.resolve('registry', 'fake://x', ctx), reason('BAD_REQUEST', /unknown registry scheme "fake:" .*known schemes: fk:/));
  });

  test('plugin table — a malformed URL is BAD_REQUEST naming it', async () => {
    const table = createPluginTable([builtinPlugin()]);
    await assert.rejects(table.resolve('registry', 'mdns://[::1', ctx), reason('BAD_REQUEST', /^malformed registry URL "mdns:\/\/\[::1": /));
  });

  test('plugin table — an instance is returned as it is and is not the node\'s to close', async () => {
    const fake = fakeRegistryPlugin();
    const table = createPluginTable([fake.plugin]);
    const mine = createMemoryRegistry();
    const resolved = await table.resolve('registry', mine, ctx);
    assert.equal(resolved.value, mine);
    assert.equal(resolved.owned, false);
    assert.equal(resolved.target, undefined);
    assert.equal(resolved.plugin, undefined);
    assert.equal(fake.calls.length, 0);
    await assert.rejects(table.resolve('registry', 42 as unknown as string, ctx), reason('BAD_REQUEST', 'registry must be a plugin name, a URL or an instance, not number'));
    await mine.close();
  });

  test('plugin table — a URL object is a URL, not an instance', async () => {
    const fake = fakeRegistryPlugin();
    const table = createPluginTable([fake.plugin]);
    const resolved = await table.resolve('registry', new URL('fake://h:1'), ctx);
    assert.equal(resolved.owned, true);
    assert.equal(fake.calls[0].target.url?.host, 'h:1');
    await resolved.value.close();
  });

  test('plugin table — resolveFromEnv takes the choice, else MICRO_<CONCERN>, else the fallback', async () => {
    const fake = fakeRegistryPlugin();
    const table = createPluginTable([builtinPlugin(), fake.plugin]);
    const env = { MICRO_REGISTRY: ' fake://from-env:1 ', MICRO_TRANSPORT: 'memory' };
    const fromEnv = await table.resolveFromEnv('registry', { nodeId: 'n1', env }, { fallback: 'memory' });
    assert.equal(fromEnv.plugin, 'fake');
    assert.equal(fake.calls[0].target.url?.host, 'from-env:1');
    const chosen = await table.resolveFromEnv('registry', { nodeId: 'n1', env }, { choice: 'memory', fallback: 'fake://unused:0' });
    assert.equal(chosen.plugin, 'micromesh');
    const fallback = await table.resolveFromEnv('registry', { nodeId: 'n1', env: { MICRO_REGISTRY: '' } }, { fallback: 'fake://fallback:2' });
    assert.equal(fake.calls[1].target.url?.host, 'fallback:2');
    const transport = await table.resolveFromEnv('transport', { nodeId: 'n1', env }, { fallback: 'tcp' });
    assert.equal(transport.value.name, 'memory');
    const custom = await table.resolveFromEnv('registry', { nodeId: 'n1', env: { MY_REGISTRY: 'memory' } }, { fallback: 'fake://x', envVar: 'MY_REGISTRY' });
    assert.equal(custom.value.name, 'memory');
    for (const r of [fromEnv, chosen, fallback, transport, custom]) await r.value.close();
  });

  test('plugin table — a bad value from the environment names the variable', async () => {
    const table = createPluginTable([builtinPlugin()]);
    const env = { MICRO_REGISTRY: 'etcd' };
    await assert.rejects(table.resolveFromEnv('registry', { nodeId: 'n1', env }, { fallback: 'memory' }), reason('BAD_REQUEST', `unknown registry "etcd" from MICRO_REGISTRY (${KNOWN})`));
    const malformed = { MICRO_REGISTRY: 'mdns://[x' };
    await assert.rejects(table.resolveFromEnv('registry', { nodeId: 'n1', env: malformed }, { fallback: 'memory' }), reason('BAD_REQUEST', /^malformed registry URL "mdns:\/\/\[x": .* \(from MICRO_REGISTRY\)$/));
  });

  test('plugin table — a plugin added at runtime serves its custom scheme and is listed', async () => {
    const table = createPluginTable([builtinPlugin()]);
    await assert.rejects(table.resolve('registry', 'consul://127.0.0.1:8500', ctx), reason('BAD_REQUEST'));
    const consul = fakeRegistryPlugin('consul', ['consul']);
    assert.equal(table.add(consul.plugin), table);
    const resolved = await table.resolve('registry', 'consul://127.0.0.1:8500', ctx);
    assert.equal(resolved.value, consul.calls[0].value);
    assert.deepEqual(
      table.list('registry').map((l) => [l.plugin, l.name, l.schemes]),
      [
        ['micromesh', 'mdns', ['mdns']],
        ['micromesh', 'memory', []],
        ['consul', 'consul', ['consul']],
      ],
    );
    assert.deepEqual(table.list().map((l) => `${l.concern}:${l.name}`), ['registry:mdns', 'registry:memory', 'transport:tcp', 'transport:memory', 'store:file', 'store:memory', 'sync:memory', 'config:env', 'config:flags', 'config:memory', 'config:file', 'auth:none', 'auth:jwt', 'events:file', 'events:memory', 'broker:mesh', 'broker:memory', 'registry:consul']);
    await resolved.value.close();
  });

  test('plugin table — a name or scheme another plugin holds is refused, and nothing of that plugin is added', async () => {
    const table = createPluginTable([builtinPlugin()]);
    const greedy = definePlugin({
      name: 'greedy',
      factories: [
        { concern: 'registry', name: 'etcd', create: () => createMemoryRegistry() },
        { concern: 'registry', name: 'zk', schemes: ['MDNS:'], create: () => createMemoryRegistry() },
      ],
    });
    assert.throws(() => table.add(greedy), reason('BAD_REQUEST', 'plugin "greedy" cannot add registry scheme "mdns:": plugin "micromesh" already serves it'));
    await assert.rejects(table.resolve('registry', 'etcd', ctx), reason('BAD_REQUEST', /unknown registry "etcd"/));
    const again = definePlugin({ name: 'again', factories: [{ concern: 'registry', name: 'memory', create: () => createMemoryRegistry() }] });
    assert.throws(() => table.add(again), reason('BAD_REQUEST', 'plugin "again" cannot add registry "memory": plugin "micromesh" already provides it'));
    const twice = definePlugin({
      name: 'twice',
      factories: [
        { concern: 'registry', name: 'a', schemes: ['x'], create: () => createMemoryRegistry() },
        { concern: 'registry', name: 'b', schemes: ['x'], create: () => createMemoryRegistry() },
      ],
    });
    assert.throws(() => table.add(twice), reason('BAD_REQUEST', 'plugin "twice" has two factories for registry scheme "x:"'));
    const builtin = builtinPlugin();
    assert.throws(() => table.add(builtin), reason('BAD_REQUEST', 'a plugin named "micromesh" is already added'));
    const fake = fakeRegistryPlugin();
    table.add(fake.plugin).add(fake.plugin);
    assert.equal(table.list('registry').length, 3, 'the same plugin object twice is added once');
    const badName = definePlugin({ name: 'bad', factories: [{ concern: 'registry', name: 'a:b', create: () => createMemoryRegistry() }] });
    assert.throws(() => table.add(badName), reason('BAD_REQUEST', /^plugin "bad" has a bad factory/));
  });

  test('plugin table — a failing factory releases the shared leases it took; a plain error becomes UNAVAILABLE', async () => {
    const closed: string[] = [];
    const broken = definePlugin({
      name: 'broken',
      factories: [
        {
          concern: 'registry',
          name: 'broken',
          schemes: ['broken'],
          create: async (target, c) => {
            await c.shared(`broken ${target.raw}`, () => 'conn', (v) => {
              closed.push(v);
            });
            if (target.url?.hostname === 'micro') throw new MicroError('FORBIDDEN', 'no');
            throw new Error('handshake failed');
          },
        },
      ],
    });
    const table = createPluginTable([broken]);
    await assert.rejects(
      table.resolve('registry', 'broken://u:pw@h:1', ctx),
      reason('UNAVAILABLE', 'registry "broken://u:***@h:1" (plugin "broken") failed to start: handshake failed'),
    );
    assert.deepEqual(closed, ['conn']);
    await assert.rejects(table.resolve('registry', 'broken://micro', ctx), reason('FORBIDDEN', 'no'));
    assert.deepEqual(closed, ['conn', 'conn']);
    assert.deepEqual(table.resources.held(), []);
  });

  test('plugin table — a factory that returns nothing is INTERNAL', async () => {
    const empty = definePlugin({ name: 'empty', factories: [{ concern: 'registry', name: 'empty', create: () => undefined as never }] });
    await assert.rejects(createPluginTable([empty]).resolve('registry', 'empty', ctx), reason('INTERNAL', 'registry "empty" (plugin "empty"): the factory returned nothing'));
  });

  test('plugin table — concerns backed by one engine share its connection; close closes it and refuses resolves', async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    const key = (url: URL | undefined) => `kv ${url?.host}`;
    const open = (url: URL | undefined) => () => {
      opened.push(key(url));
      return { url };
    };
    const close = (conn: { url: URL | undefined }) => {
      closed.push(key(conn.url));
    };
    const kv = definePlugin({
      name: 'kv',
      factories: [
        {
          concern: 'registry',
          name: 'kv',
          schemes: ['kv'],
          create: async (target, c) => {
            await c.shared(key(target.url), open(target.url), close);
            return createMemoryRegistry();
          },
        },
        {
          concern: 'transport',
          name: 'kv',
          schemes: ['kv'],
          create: async (target, c) => {
            await c.shared(key(target.url), open(target.url), close);
            return createMemoryTransport();
          },
        },
      ],
    });
    const table = createPluginTable([builtinPlugin(), kv]);
    const registry = await table.resolve('registry', 'kv://a:1', ctx);
    const transport = await table.resolve('transport', 'kv://a:1', { nodeId: 'n1' });
    assert.deepEqual(opened, ['kv a:1']);
    assert.deepEqual(table.resources.held(), [{ key: 'kv a:1', holders: 2 }]);
    await transport.value.close();
    await table.close();
    assert.deepEqual(closed, ['kv a:1']);
    await assert.rejects(table.resolve('registry', 'memory', ctx), reason('UNAVAILABLE', "cannot resolve a registry: the node's plugins are closed"));
    await registry.value.close();
  });

  test('plugin table — two tables are independent: plugins and shared connections are per table', async () => {
    const fake = fakeRegistryPlugin();
    const a = createPluginTable([builtinPlugin(), fake.plugin]);
    const b = createPluginTable([builtinPlugin()]);
    await assert.rejects(b.resolve('registry', 'fake://x', ctx), reason('BAD_REQUEST', /known schemes: mdns:;/));
    let opens = 0;
    const open = () => ++opens;
    const leaseA = await a.resources.acquire('nats nats://127.0.0.1:4222', open, () => {});
    const leaseB = await b.resources.acquire('nats nats://127.0.0.1:4222', open, () => {});
    assert.equal(opens, 2);
    assert.notEqual(leaseA.value, leaseB.value);
    await a.close();
    assert.deepEqual(b.resources.held(), [{ key: 'nats nats://127.0.0.1:4222', holders: 1 }]);
    await b.close();
  });
});
