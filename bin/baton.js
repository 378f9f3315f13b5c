#!/usr/bin/env node
// The `baton` command of the baton-flow package. It runs the build in dist/: a checkout
// needs `npm run build` (or `npm install`, whose prepare step builds) first.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  // Handlers `require('baton-flow')`, an ES module: Node loads one synchronously from 20.19 on.
  console.error(`baton: Node.js >= 20.19 is required (this is ${process.versions.node})`);
  process.exit(1);
}
try {
  await import('../dist/cli/main.js');
} catch (e) {
  const missing = e && typeof e === 'object' && 'code' in e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('/dist/cli/main.js');
  if (!missing) throw e;
  console.error('baton: the build is missing (dist/cli/main.js); run `npm run build` in the baton-flow folder');
  process.exit(1);
}
