#!/usr/bin/env node
// The `micro` command: runs the compiled CLI from dist/ (built by `npm run build`, run by `npm install` and `npm pack`).
import '../dist/cli/main.js';
