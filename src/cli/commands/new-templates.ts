/** The files `micro new` writes: a service on micromesh with a .proto, a node:test test and npm scripts. */

export interface ScaffoldOptions {
  /** The project and service name, as typed: `hello-world`. */
  name: string;
  /** The package.json spec of micromesh: `^0.1.0`, or a `file:` path or tarball. */
  micromesh: string;
  /** Versions of the dev tools, from micromesh's own package.json. */
  tools: { tsx: string; typescript: string; typesNode: string };
}

const pascal = (name: string): string =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Path → contents, relative to the project directory. */
export function scaffold(o: ScaffoldOptions): Record<string, string> {
  const type = pascal(o.name) || 'Service';
  const pkg = o.name.replace(/[^a-z0-9]+/gi, '_').toLowerCase();
  return {
    'package.json': json({
      name: o.name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { start: 'tsx src/main.ts', test: 'node --import tsx --test test/*.test.ts', typecheck: 'tsc --noEmit -p .' },
      dependencies: { micromesh: o.micromesh },
      devDependencies: { '@types/node': o.tools.typesNode, tsx: o.tools.tsx, typescript: o.tools.typescript },
    }),
    'tsconfig.json': json({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        verbatimModuleSyntax: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['src', 'test'],
    }),
    '.gitignore': 'node_modules/\n.micromesh/\n',
    [`proto/${o.name}.proto`]: `syntax = "proto3";

package ${pkg};

// The contract of the ${o.name} service. src/service.ts serves it with JSON bodies; \`micro gen proto/${o.name}.proto
// --out src/gen\` writes typed clients and handlers from it when you want protobuf on the wire.
service ${type} {
  rpc Hello(HelloRequest) returns (HelloReply);
}

message HelloRequest {
  string name = 1;
}

message HelloReply {
  string message = 1;
}
`,
    'src/service.ts': `import { defineService } from 'micromesh';

/** The request and reply of ${type}.Hello, as in proto/${o.name}.proto. */
export interface HelloRequest {
  name?: string;
}
export interface HelloReply {
  message: string;
}

export const service = defineService({
  name: '${o.name}',
  endpoints: {
    '${type}.Hello': async (req: HelloRequest): Promise<HelloReply> => ({ message: \`Hello \${req.name ?? 'world'}\` }),
  },
});
`,
    'src/main.ts': `// Serves ${o.name} on the mesh: mDNS on loopback by default, or MICRO_REGISTRY / MICRO_TRANSPORT.
import { createNode } from 'micromesh';
import { service } from './service.ts';

const node = await createNode();
await node.serve(service);
console.log(\`ready \${node.id} \${node.address}\`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void node.stop().then(() => process.exit(0)));
}
`,
    'test/service.test.ts': `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNode } from 'micromesh';
import { service } from '../src/service.ts';

test('${o.name} — ${type}.Hello greets by name', async () => {
  const node = await createNode({ registry: 'memory', transport: 'memory', store: 'memory' });
  try {
    await node.serve(service);
    assert.deepEqual(await node.client.call('${o.name}', '${type}.Hello', { name: 'Ada' }), { message: 'Hello Ada' });
  } finally {
    await node.stop();
  }
});
`,
    'README.md': `# ${o.name}

A micromesh service. \`npm start\` serves it, \`npm test\` tests it, and with it running:

\`\`\`sh
npx micro call ${o.name} ${type}.Hello '{"name":"Ada"}'
\`\`\`
`,
  };
}
