// A DynamicRTSPServer on test/fixtures in a process of its own, so that a test can count what the
// server alone holds (descriptors, UDP ports, memory) from /proc/self. Started with `fork()`; it
// sends `{ port }` once listening and answers each `'stats'` message with a ServerChildStats.
// Short timeouts (argv[2] seconds, default 2) so that what a test leaves behind is reclaimed soon.
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { DynamicRTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../../helpers/paths.js';
import { processResources, type ProcessResources } from '../../helpers/processResources.js';

/** What the child reports. */
export interface ServerChildStats extends ProcessResources {
  readonly connections: number;
  readonly sessions: number;
  /** Delayed tasks pending on the server's scheduler. */
  readonly timers: number;
  /** 'error' events the server emitted (internal errors: a 500 or a failed stream). */
  readonly errors: readonly string[];
}

const timeout = Number(process.argv[2] ?? 2);
const scheduler = new BasicTaskScheduler();
const server = new DynamicRTSPServer({
  scheduler,
  root: fixture(''),
  port: 0,
  host: '127.0.0.1',
  reclamationSeconds: timeout,
  idleTimeoutSeconds: timeout,
  requestTimeoutSeconds: timeout,
});
const errors: string[] = [];
server.on('error', (err) => {
  // Files that are not what their names say are reported here too; those are not internal errors.
  const text = err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err);
  if (errors.length < 50) errors.push(text);
});

await server.listen();
process.send!({ port: server.port });
process.on('message', (m) => {
  if (m === 'stats') {
    const stats: ServerChildStats = {
      ...processResources(),
      connections: server.connectionCount,
      sessions: server.clientSessions.size,
      timers: scheduler.pendingCount,
      errors,
    };
    process.send!(stats);
  } else if (m === 'stop') {
    void server.close().then(() => {
      scheduler.close();
      process.disconnect();
    });
  }
});
