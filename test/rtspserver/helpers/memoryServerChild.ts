// A DynamicRTSPServer in a process of its own, so that a test can read the server's memory alone
// (not the test runner's): serves the directory given as argv[2] on 127.0.0.1, prints
// `{"port":N}` once listening, then answers each line on stdin with its memory as JSON
// (`rss` and `peak` from /proc/self/status, in bytes, after a garbage collection when
// --expose-gc is given). Ends when stdin closes.
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';

function status(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

const scheduler = new BasicTaskScheduler();
const server = new DynamicRTSPServer({ scheduler, root: process.argv[2]!, port: 0, host: '127.0.0.1' });
await server.listen();
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line === 'reset-peak') {
    // Writing 5 to clear_refs resets VmHWM to the current RSS.
    try {
      writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      /* not permitted: the peak stays the process's own */
    }
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss: status('VmRSS'), peak: status('VmHWM'), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, sessions: server.clientSessions.size })}\n`);
});
rl.on('close', () => {
  void server.close().then(() => {
    scheduler.close();
    process.exit(0);
  });
});
