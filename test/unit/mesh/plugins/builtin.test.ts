import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSimulatedClock } from '../../../../src/actors/clock.ts';
import { createRecordingLogger } from '../../../../src/actors/logger.ts';
import { MicroError } from '../../../../src/mesh/errors.ts';
import { builtinPlugin, mdnsOptions } from '../../../../src/mesh/plugins/builtin.ts';
import type { RegistryConcernOptions } from '../../../../src/mesh/plugins/concerns.ts';
import type { PluginContext } from '../../../../src/mesh/plugins/plugin.ts';
import { createPluginTable } from '../../../../src/mesh/plugins/table.ts';
import { parseTarget } from '../../../../src/mesh/plugins/target.ts';
import { MdnsRegistry } from '../../../../src/mesh/registry/mdns.ts';
import { createMemoryNetwork } from '../../../../src/mesh/transport/memory.ts';
import { TcpTransport } from '../../../../src/mesh/transport/tcp.ts';

function registryContext(env: Record<string, string> = {}, options: RegistryConcernOptions = {}): PluginContext<'registry'> {
  return {
    concern: 'registry',
    nodeId: 'n1',
    logger: createRecordingLogger(),
    env,
    clock: createSimulatedClock(),
    options,
    shared: () => Promise.reject(new Error('not used')),
  };
}

const mdns = (raw: string, ctx = registryContext()) => mdnsOptions(parseTarget('registry', raw), ctx);

describe('builtin plugin', () => {
  test('builtin plugin — lists mdns and memory registries, tcp and memory transports, file and memory stores, memory sync, env, flags, memory and file config, none and jwt auth, file and memory events, mesh and memory brokers', () => {
    const table = createPluginTable([builtinPlugin()]);
    assert.deepEqual(
      table.list().map((l) => [l.concern, l.name, l.schemes.join(',')]),
      [
        ['registry', 'mdns', 'mdns'],
        ['registry', 'memory', ''],
        ['transport', 'tcp', ''],
        ['transport', 'memory', ''],
        ['store', 'file', 'file'],
        ['store', 'memory', ''],
        ['sync', 'memory', ''],
        ['config', 'env', 'env'],
        ['config', 'flags', ''],
        ['config', 'memory', ''],
        ['config', 'file', 'file'],
        ['auth', 'none', ''],
        ['auth', 'jwt', ''],
        ['events', 'file', 'file'],
        ['events', 'memory', ''],
        ['broker', 'mesh', ''],
        ['broker', 'memory', ''],
      ],
    );
    assert.ok(table.list().every((l) => l.plugin === 'micromesh' && typeof l.description === 'string'));
  });

  test('builtin plugin — the memory registry runs on the node clock', async () => {
    const clock = createSimulatedClock();
    const table = createPluginTable([builtinPlugin()]);
    const { value: registry } = await table.resolve('registry', 'memory', { nodeId: 'n1', clock });
    await registry.register({ name: 'ttl', version: '1', metadata: {}, endpoints: [], nodes: [{ id: 'a', address: 'x', metadata: {} }] }, { ttlMs: 1000 });
    assert.equal((await registry.getService('ttl')).length, 1);
    clock.advance(1000);
    await assert.rejects(registry.getService('ttl'), (err) => err instanceof MicroError && err.code === 404);
    await registry.close();
  });

  test('builtin plugin — tcp makes a TCP transport that listens', async () => {
    const table = createPluginTable([builtinPlugin()]);
    const { value: transport, owned } = await table.resolve('transport', 'tcp', { nodeId: 'n1' });
    assert.ok(transport instanceof TcpTransport);
    assert.equal(owned, true);
    const listener = await transport.listen('127.0.0.1:0', () => {});
    assert.match(listener.address, /^127\.0\.0\.1:\d+$/);
    await transport.close();
  });

  test('builtin plugin — memory transports of two nodes meet on the network given in the options', async () => {
    const network = createMemoryNetwork();
    const options = { memory: { network } };
    const a = await createPluginTable([builtinPlugin()]).resolve('transport', 'memory', { nodeId: 'a', options });
    const b = await createPluginTable([builtinPlugin()]).resolve('transport', 'memory', { nodeId: 'b', options });
    let accepted = 0;
    await a.value.listen('mem://a', () => accepted++);
    const conn = await b.value.dial('mem://a');
    assert.equal(conn.closed, false);
    assert.equal(accepted, 1);
    await b.value.close();
    await a.value.close();
  });

  test('builtin plugin — mdns settings: node TTL, clock and logger, then env interface, then options, then the URL', () => {
    const ctx = registryContext({ MICRO_MDNS_INTERFACE: '192.168.1.5' }, { ttlMs: 9000 });
    const fromEnv = mdns('mdns', ctx);
    assert.equal(fromEnv.interface, '192.168.1.5');
    assert.equal(fromEnv.ttlMs, 9000);
    assert.equal(fromEnv.clock, ctx.clock);
    assert.equal(fromEnv.logger, ctx.logger);
    const withOptions = registryContext({ MICRO_MDNS_INTERFACE: '192.168.1.5' }, { ttlMs: 9000, mdns: { interface: '10.0.0.2', ttlMs: 3000, port: 5400 } });
    assert.deepEqual([mdns('mdns', withOptions).interface, mdns('mdns', withOptions).ttlMs], ['10.0.0.2', 3000]);
    const url = mdns('mdns://0.0.0.0?port=5401&domain=lab.local&ttlMs=2000&queryWindowMs=0', withOptions);
    assert.deepEqual(
      [url.interface, url.port, url.domain, url.ttlMs, url.queryWindowMs],
      ['0.0.0.0', 5401, 'lab.local', 2000, 0],
    );
    assert.equal(mdns('mdns').interface, undefined, 'no setting leaves the registry default (loopback)');
    assert.deepEqual([mdns('mdns://[::1]:5402').interface, mdns('mdns://[::1]:5402').port], ['::1', 5402]);
    assert.equal(mdns('mdns://?interface=127.0.0.1').interface, '127.0.0.1');
  });

  test('builtin plugin — a bad mdns URL setting is BAD_REQUEST naming it', () => {
    const bad = (raw: string, message: RegExp) => assert.throws(() => mdns(raw), (err) => err instanceof MicroError && err.reason === 'BAD_REQUEST' && message.test(err.message));
    bad('mdns://?interfce=0.0.0.0', /unknown setting "interfce" \(known: interface, port, domain, ttlMs, queryWindowMs, querySettleMs, watchBuffer\)/);
    bad('mdns://?ttlMs=soon', /ttlMs="soon" is not a valid duration in ms/);
    bad('mdns://?port=70000', /port="70000" is not a valid port/);
    bad('mdns://?watchBuffer=0', /watchBuffer="0" is not a valid count/);
    bad('mdns://?ttlMs=', /ttlMs="" is not a valid duration/);
  });

  test('builtin plugin — an mdns URL makes a registry bound where it says', async () => {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const table = createPluginTable([builtinPlugin()]);
    const { value: registry, target } = await table.resolve('registry', `mdns://127.0.0.1:${port}?domain=t${port}.local`, { nodeId: 'n1', env: {} });
    assert.ok(registry instanceof MdnsRegistry);
    assert.equal(target?.url?.port, String(port));
    await registry.ready();
    await registry.close();
  });
});

test('builtin plugin — MICRO_MDNS_PORT sets the mDNS port (options and the URL win over it); a bad value is a 400', () => {
  assert.equal(mdns('mdns', registryContext({ MICRO_MDNS_PORT: '25353' })).port, 25353);
  assert.equal(mdns('mdns', registryContext({ MICRO_MDNS_PORT: '25353' }, { mdns: { port: 25354 } })).port, 25354);
  assert.equal(mdns('mdns://127.0.0.1:25355', registryContext({ MICRO_MDNS_PORT: '25353' })).port, 25355);
  assert.throws(() => mdns('mdns', registryContext({ MICRO_MDNS_PORT: 'x' })), (err) => err instanceof MicroError && err.code === 400);
});
