#!/usr/bin/env node
// The CLI entry. The compiled code lives in dist/ (built by `npm ci` through the prepare script).
// Checked before anything loads: node:sqlite and the rest need Node >= 22.13.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `gatehouse needs Node.js >= 22.13 (24 recommended); this is ${process.version} at ${process.execPath}.\n` +
    '  From a checkout, `npm ci` installs Node 24 and `npx gatehouse ...` uses it.\n',
  );
  process.exit(1);
}
// Before the CLI's modules load, so that all of them are served from the compile cache.
(await import('../dist/src/compile-cache.js')).enableCompileCache();
await import('../dist/src/cli/main.js');
