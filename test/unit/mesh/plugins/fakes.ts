import { createMemoryRegistry } from '../../../../src/mesh/registry/memory.ts';
import type { Registry } from '../../../../src/mesh/registry/registry.ts';
import { definePlugin, type Plugin, type PluginContext } from '../../../../src/mesh/plugins/plugin.ts';
import type { PluginTarget } from '../../../../src/mesh/plugins/target.ts';

/** A registry plugin serving `schemes` that records what each create got; its registries are memory ones. */
export function fakeRegistryPlugin(name = 'fake', schemes: string[] = ['fake']) {
  const calls: Array<{ target: PluginTarget; ctx: PluginContext<'registry'>; value: Registry }> = [];
  const plugin: Plugin = definePlugin({
    name,
    factories: [
      {
        concern: 'registry',
        name,
        schemes,
        create: (target, ctx) => {
          const value = createMemoryRegistry();
          calls.push({ target, ctx, value });
          return value;
        },
      },
    ],
  });
  return { plugin, calls };
}

/** A deferred promise, to hold an open or a close until the test lets it finish. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run. */
export const flush = () => new Promise<void>((r) => setImmediate(r));
