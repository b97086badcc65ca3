/** Layers point one way: actors ← supervisor ← mesh ← plugins ← cli, and nothing forms a cycle. */
const layer = (from, to) => ({
  name: `no-${from}-to-${to}`,
  severity: 'error',
  comment: `${from} is an earlier layer than ${to} and must not import it`,
  from: { path: `^src/${from}/` },
  to: { path: `^src/${to}/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'type-import'] } } },
    layer('actors', 'supervisor'),
    layer('actors', 'mesh'),
    layer('actors', 'plugins'),
    layer('actors', 'cli'),
    layer('supervisor', 'mesh'),
    layer('supervisor', 'plugins'),
    layer('supervisor', 'cli'),
    layer('mesh', 'plugins'),
    layer('mesh', 'cli'),
    layer('plugins', 'cli'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
