#!/usr/bin/env node
// Build step after tsc: rewrites relative `.ts` specifiers in the emitted .d.ts files to `.js`.
// tsc's rewriteRelativeImportExtensions rewrites them in the JS only (microsoft/TypeScript#61037).
// `.ts` and `.js` have the same length, so the declaration maps stay valid.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+|\bmodule\s+)(['"])(\.\.?\/[^'"\n]*?)\.ts\2/gm;
const LEFTOVER = /(['"])\.\.?\/[^'"\n]*\.ts\1/;

const root = process.argv[2] ?? 'dist';
let files = 0;
let rewritten = 0;
for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const path = join(entry.parentPath ?? entry.path, entry.name);
  const text = readFileSync(path, 'utf8');
  const out = text.replace(SPECIFIER, (_match, lead, quote, stem) => {
    rewritten++;
    return `${lead}${quote}${stem}.js${quote}`;
  });
  const left = LEFTOVER.exec(out);
  if (left) {
    console.error(`${path}: a relative .ts specifier was not rewritten: ${left[0]}`);
    process.exit(1);
  }
  if (out !== text) writeFileSync(path, out);
  files++;
}
console.log(`rewrite-dts-extensions: ${rewritten} specifiers in ${files} declaration files`);
