#!/usr/bin/env node
// The dorsvr-publish command: runs the compiled CLI in dist/. This file is committed (dist/ is built), so
// npm links the command when the package is installed, even before `npm run build` made dist/.
import('../dist/publishCLI.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('publishCLI.js')) {
    process.stderr.write('dorsvr-publish: @dorsvr/rtspclient is not built yet: run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
