#!/usr/bin/env node
/**
 * dorsvr-publish: sends a file to an RTSP server in real time (ANNOUNCE, SETUP with mode=record,
 * RECORD), as the server would stream it: `.264/.h264`, `.265/.h265`, `.aac`, `.mp3`, `.wav`, `.ts`.
 *
 *   dorsvr-publish <file> <rtsp-url> [-t] [--loop] [-u user pass | --user name --password-env VAR | --password-file file] [--ca file | -k] [-q | --json]
 *
 * The URL may be `rtsps://` (TLS; `--ca` trusts a CA, `--insecure` skips the certificate check),
 * `rtsph://` or `rtspsh://` (tunnelled over HTTP / HTTPS).
 *
 * stderr: a progress line (media time sent, packets, bytes, the loss the server's receiver reports
 * say) and messages (none with --quiet but errors); stdout: one summary line at the end (with
 * --json: JSON lines, the progress every second and the summary). Exit status 0 once the whole file was sent (or on SIGINT/SIGTERM, after RTCP BYE and
 * TEARDOWN), 1 on failure (one line saying why), 2 on bad arguments.
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { BasicTaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import { createFileServerMediaSubsession, FILE_SERVER_MEDIA_SUBSESSIONS, ServerMediaSession } from '@dorsvr/livemedia';
import type { Publication } from './Publication.js';
import { RTSPClient } from './RTSPClient.js';
import { parsePublishArgs, publishHelp, PUBLISH_USAGE, type PublishArgs } from './parsePublishArgs.js';
import { explainClientError, oneLine, packageVersion, StatusLine } from './cliSupport.js';

/** After the last packet, how long before RTCP BYE and TEARDOWN (UDP packets must land before them). */
const LINGER_MS = 500;

/** Progress and messages (replaced by main once the arguments say which mode). */
let status = new StatusLine('text');

function log(line: string, error = false): void {
  status.log(line, error);
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** The one-line reason for a failure, as a user wants to read it. */
function explain(err: unknown, args: PublishArgs): string {
  return explainClientError(err, args);
}

async function main(): Promise<number> {
  const parsed = parsePublishArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(publishHelp());
    return 0;
  }
  if (parsed === 'version') {
    process.stdout.write(`${packageVersion(import.meta.url, 'dorsvr-publish')}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    process.stderr.write(`dorsvr-publish: ${parsed}\n${PUBLISH_USAGE}   (dorsvr-publish --help lists the options)\n`);
    return 2;
  }
  const args = parsed;
  status = new StatusLine(args.status);
  if (args.tls.rejectUnauthorized === false) log("warning: --insecure: the server's TLS certificate is not verified");
  const ext = path.extname(args.file).toLowerCase();
  if (!FILE_SERVER_MEDIA_SUBSESSIONS.has(ext)) {
    process.stderr.write(`dorsvr-publish: ${args.file}: cannot publish ${ext === '' ? 'a file without extension' : `${ext} files`} (one of ${[...FILE_SERVER_MEDIA_SUBSESSIONS.keys()].join(' ')})\n`);
    return 2;
  }
  // A file that is not there (or cannot be read) is a bad argument, as a directory dorsvr-server cannot serve.
  try {
    if (!statSync(args.file).isFile()) throw new Error('not a regular file');
    accessSync(args.file, constants.R_OK);
  } catch (err) {
    process.stderr.write(`dorsvr-publish: cannot read ${args.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n${PUBLISH_USAGE}\n`);
    return 2;
  }

  const scheduler = new BasicTaskScheduler();
  const client = new RTSPClient(args.url, {
    scheduler,
    username: args.username,
    password: args.password,
    tls: args.tls,
    transport: args.tcp ? 'tcp' : 'auto',
    userAgent: 'dorsvr-publish',
  });
  const session = new ServerMediaSession(path.basename(args.file));
  session.addSubsession(createFileServerMediaSubsession(args.file, { scheduler })!);

  let requestStop: (why: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) {
      log(`${sig} again: exiting without finishing`);
      process.exit(130);
    }
    signalled = true;
    requestStop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let failure: string | undefined;
  client.on('error', (err) => {
    failure ??= explain(err, args);
    requestStop('error');
  });

  let tickTimer: TaskToken = 0;
  let publication: Publication | undefined;
  let exitCode = 0;
  let started = 0;
  try {
    const publishing = client.publish(session, { transport: args.tcp ? 'tcp' : 'auto', loop: args.loop });
    const first = await Promise.race([publishing, stopRequested]);
    if (typeof first === 'string') {
      publishing.then((p) => p.stop(), () => {});
      if (first === 'error') throw new Error(failure);
    } else {
      publication = first;
      started = scheduler.now();
      const transport = publication.session.tracks.map((t) => t.transport?.mode ?? '?').join(', ');
      if (args.status === 'json') status.json({ type: 'publishing', file: args.file, url: client.url, transport, loop: args.loop });
      else log(`publishing ${args.file} to ${client.url} over ${transport}${args.loop ? ', looping' : ''}`);
      publication.on('loop', (_t, n) => log(`${args.file}: from the start again (${n})`));
      publication.on('error', (t, err) => {
        failure ??= `${t.controlURL}: ${explain(err, args)}`;
        requestStop('error');
      });
      const tick = (): void => {
        const s = publication!.stats;
        // What the server's receiver reports say of each track (once one came).
        const tracks = publication!.session.tracks.map((t) => {
          const ts = t.stats;
          return {
            media: t.media.type,
            packetsSent: ts.packetsSent,
            bytesSent: ts.bytesSent,
            receiverReports: ts.receiverReports,
            packetsLost: ts.cumulativeLost,
            fractionLost: ts.fractionLost,
            jitterMs: ts.jitterSeconds === undefined ? undefined : ts.jitterSeconds * 1000,
            rttMs: ts.rttSeconds === undefined ? undefined : ts.rttSeconds * 1000,
          };
        });
        const reported = tracks.filter((t) => t.packetsLost !== undefined);
        const lost = reported.reduce((n, t) => n + Math.max(0, t.packetsLost ?? 0), 0);
        status.update(
          `sent ${s.secondsSent.toFixed(1)} s: ${s.packetsSent} packets, ${formatBytes(s.bytesSent)}` +
            (reported.length > 0 ? `, ${lost} lost (server's reports)` : ''),
          { seconds: Math.round(s.secondsSent * 10) / 10, packets: s.packetsSent, bytes: s.bytesSent, packetsLost: reported.length > 0 ? lost : undefined, tracks },
        );
        tickTimer = scheduler.scheduleDelayedTask(1_000_000, tick);
      };
      tickTimer = scheduler.scheduleDelayedTask(1_000_000, tick);
      const why = await Promise.race([publication.done.then(() => 'end'), stopRequested]);
      publication.stop();
      if (why === 'error') throw new Error(failure);
      if (why !== 'end') log(`stopping (${why})`);
      else await new Promise((resolve) => setTimeout(resolve, LINGER_MS));
    }
  } catch (err) {
    log(`dorsvr-publish: ${explain(failure ?? err, args)}`, true);
    exitCode = 1;
  } finally {
    scheduler.unscheduleDelayedTask(tickTimer);
  }
  status.clear();
  await client.close().catch((err: unknown) => log(`warning: ${explain(err, args)}`));
  if (publication !== undefined) {
    const s = publication.stats;
    const wall = (scheduler.now() - started) / 1e6;
    if (args.status === 'json') {
      status.json({ type: 'published', file: args.file, url: client.url, seconds: s.secondsSent, wallSeconds: wall, packets: s.packetsSent, bytes: s.bytesSent, exitCode });
    } else process.stdout.write(
      `published ${args.file} to ${client.url}: ${s.secondsSent.toFixed(2)} s of media in ${wall.toFixed(2)} s, ${s.packetsSent} packets, ${s.bytesSent} bytes\n`,
    );
  }
  scheduler.close();
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`dorsvr-publish: ${oneLine(err instanceof Error ? err.message : String(err))}`, true);
    process.exit(1);
  },
);
