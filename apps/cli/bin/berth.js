#!/usr/bin/env node
// Installed as `berth` (npm install -g ./apps/cli, after npm run build at the repository root).
await import('../../../dist/apps/cli/src/main.js');
