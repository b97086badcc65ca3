/**
 * `createNode` as the package exports it: the mesh's node with the engine plugins added. The mesh layer cannot import
 * plugins (they import it), so the engines join here, one layer up, and the package entry re-exports this.
 */
import { createNode as createMeshNode, type MeshNode } from '../mesh/node.ts';
import type { NodeOptions } from '../mesh/node-options.ts';
import type { Plugin } from '../mesh/plugins/plugin.ts';
import { enginePlugins } from './index.ts';

/**
 * Starts a node (see the mesh's `createNode`) whose plugin table also holds the engine plugins, so
 * `store: 'postgres://…'` and `MICRO_STORE=redis://…` work with no `plugins` option.
 * @example
 * const node = await createNode({ store: 'redis://127.0.0.1:6379' });
 */
export function createNode(options: NodeOptions = {}): Promise<MeshNode> {
  return createMeshNode({ ...options, plugins: withEnginePlugins(options.plugins ?? []) });
}

/**
 * The user's plugins, then each engine plugin that none of them replaces: an engine is left out when a user plugin
 * has its name or a factory for one of its names or schemes, so a user's own `redis` store wins without a clash.
 */
export function withEnginePlugins(plugins: readonly Plugin[]): Plugin[] {
  const claims = new Set(plugins.flatMap(claimsOf));
  const names = new Set(plugins.map((p) => p.name));
  const engines = enginePlugins().filter((engine) => !names.has(engine.name) && !claimsOf(engine).some((c) => claims.has(c)));
  return [...plugins, ...engines];
}

function claimsOf(plugin: Plugin): string[] {
  return plugin.factories.flatMap((f) => [`${f.concern} ${f.name}`, ...(f.schemes ?? []).map((s) => `${f.concern} ${s.replace(/:(\/\/)?$/, '').toLowerCase()}:`)]);
}
