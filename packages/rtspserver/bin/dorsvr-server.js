#!/usr/bin/env node
// The dorsvr-server command: runs the compiled CLI in dist/. This file is committed (dist/ is built), so
// npm links the command when the package is installed, even before `npm run build` made dist/.
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('cli.js')) {
    process.stderr.write('dorsvr-server: @dorsvr/rtspserver is not built yet: run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
