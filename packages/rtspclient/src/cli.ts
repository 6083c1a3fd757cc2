#!/usr/bin/env node
/**
 * dorsvr-client: openRTSP's equal. Records every track of an `rtsp://` (`rtsps://`, `rtsph://`,
 * `rtspsh://`) stream to a file named
 * `<prefix><medium>-<codec>-<n><ext>` (e.g. `video-H264-1.264`), until the stream ends (RTCP BYE),
 * `-d` seconds have passed, or SIGINT/SIGTERM; then TEARDOWN, flush, QoS report, exit 0.
 *
 *   dorsvr-client <url> [-t] [-d seconds] [-u user pass | --user name --password-env VAR] [-F prefix] [-Q] [-o dir] [--ca file | -k] [-q | --json]
 *
 * stdout: what is recorded and the QoS statistics (JSON lines with --json); stderr: a status line
 * (bytes, duration, loss) and messages (none with --quiet but errors). `--help` lists every option
 * with its default. Exit status 0 on success, 1 on failure (one line saying why), 2 on bad
 * arguments (a missing or unwritable -o directory included).
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as path from 'node:path';
import { BasicTaskScheduler, type TaskToken } from '@dorsvr/scheduler';
import { createFileSink, fileExtensionFor, type FileSink } from '@dorsvr/livemedia';
import type { MediaSubsession } from './MediaSubsession.js';
import type { MediaSubsessionStats } from './MediaSubsessionStats.js';
import { RTSPClient } from './RTSPClient.js';
import { RTSPClientError } from './RTSPClientError.js';
import { CLIENT_USAGE, clientHelp, parseClientArgs, type ClientArgs } from './parseClientArgs.js';
import { explainClientError, oneLine, packageVersion, StatusLine } from './cliSupport.js';

interface Track {
  sub: MediaSubsession;
  /** File name without the directory. */
  name: string;
  sink: FileSink;
  done: Promise<void>;
  error: unknown;
}

/** How long finishing may take after TEARDOWN before the files are closed anyway. */
const DRAIN_MS = 3000;

/** Progress and messages (replaced by main once the arguments say which mode). */
let status = new StatusLine('text');

function log(line: string): void {
  status.log(line);
}

function logError(line: string): void {
  status.log(line, true);
}

/** The one-line reason for a failure, as a user wants to read it. */
function explain(err: unknown, args: ClientArgs): string {
  return explainClientError(err, args);
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._+-]/g, '_');
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** One QoS line per track, `key=value` pairs (as openRTSP's -Q report, one track a line). */
function qosLine(t: Track, s: MediaSubsessionStats): string {
  const lossPct = s.packetsExpected > 0 ? (100 * s.packetsLost) / s.packetsExpected : 0;
  return (
    `qos ${t.name}: packets_received=${s.packetsReceived} packets_lost=${s.packetsLost} packets_expected=${s.packetsExpected} ` +
    `loss_percent=${lossPct.toFixed(2)} jitter_ms=${s.jitterMs.toFixed(3)} bitrate_kbps=${s.bitrateKbps.toFixed(1)} ` +
    `bytes_received=${s.bytesReceived} frames=${s.framesReceived} damaged_frames=${s.damagedFrames} ` +
    `overflowed_frames=${s.overflowedFrames} file_bytes=${t.sink.bytesWritten}`
  );
}

/** Packets lost as a percentage of those expected, over all tracks. */
function lossPercent(stats: readonly MediaSubsessionStats[]): number {
  let lost = 0;
  let expected = 0;
  for (const s of stats) {
    lost += Math.max(0, s.packetsLost);
    expected += s.packetsExpected;
  }
  return expected > 0 ? (100 * lost) / expected : 0;
}

/** The `--json` form of a track's QoS. */
function qosJSON(t: Track, s: MediaSubsessionStats): Record<string, unknown> {
  return {
    type: 'qos',
    file: t.name,
    packetsReceived: s.packetsReceived,
    packetsLost: s.packetsLost,
    packetsExpected: s.packetsExpected,
    jitterMs: s.jitterMs,
    bitrateKbps: s.bitrateKbps,
    bytesReceived: s.bytesReceived,
    frames: s.framesReceived,
    damagedFrames: s.damagedFrames,
    overflowedFrames: s.overflowedFrames,
    fileBytes: t.sink.bytesWritten,
  };
}

/** Why `dir` cannot take the recordings, or undefined when it can. */
function outputDirProblem(dir: string): string | undefined {
  try {
    if (!statSync(dir).isDirectory()) return `-o ${dir}: not a directory`;
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `-o ${dir}: no such directory` : `-o ${dir}: not writable (${code ?? (err as Error).message})`;
  }
}

async function main(): Promise<number> {
  const parsed = parseClientArgs(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(clientHelp());
    return 0;
  }
  if (parsed === 'version') {
    process.stdout.write(`${packageVersion(import.meta.url, 'dorsvr-client')}\n`);
    return 0;
  }
  const bad = typeof parsed === 'string' ? parsed : outputDirProblem(parsed.outputDir);
  if (bad !== undefined) {
    process.stderr.write(`dorsvr-client: ${bad}\n${CLIENT_USAGE}\n`);
    return 2;
  }
  const args = parsed as ClientArgs;
  status = new StatusLine(args.status);
  if (args.tls.rejectUnauthorized === false) log("warning: --insecure: the server's TLS certificate is not verified");
  const scheduler = new BasicTaskScheduler();
  const client = new RTSPClient(args.url, {
    scheduler,
    username: args.username,
    password: args.password,
    tls: args.tls,
    transport: args.tcp ? 'tcp' : 'auto',
    acceptMediaFromAnyAddress: args.acceptMediaFromAnyAddress,
    userAgent: 'dorsvr-client',
  });
  const tracks: Track[] = [];
  const trackOf = (sub: MediaSubsession): string => tracks.find((t) => t.sub === sub)?.name ?? sub.mediumName;
  client.on('fallbackToTCP', (reason) => log(`no RTP over UDP (${reason}): streaming over TCP instead`));
  client.on('bye', (sub) => log(`${trackOf(sub)}: the server ended the stream (RTCP BYE)`));
  client.on('error', (err) => log(`warning: ${oneLine(err.message)}`));

  // A signal at any point ends the recording cleanly; a second one gives up at once.
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

  let tickTimer: TaskToken = 0;
  let durationTimer: TaskToken = 0;
  let exitCode = 0;
  try {
    const setupDone = (async () => {
      try {
        await client.options();
      } catch (err) {
        // A server may not implement OPTIONS; DESCRIBE decides.
        if (!(err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATUS' && err.status !== 401)) throw err;
      }
      const session = await client.describe();
      let n = 0;
      for (const sub of session.subsessions) {
        n++;
        const codec = sub.codecName || `PT${sub.payloadType}`;
        const label = `track ${n} (${sub.mediumName}/${codec})`;
        if (!sub.supported) {
          log(`${label}: no depacketizer for this codec, skipped`);
          continue;
        }
        const desc = sub.description;
        const name = `${args.prefix}${safeName(sub.mediumName)}-${safeName(codec)}-${n}${fileExtensionFor(desc)}`;
        let sink: FileSink;
        try {
          sink = createFileSink(path.join(args.outputDir, name), desc);
        } catch (err) {
          log(`${label}: cannot be written (${explain(err, args)}), skipped`);
          continue;
        }
        try {
          await client.setup(sub, { transport: args.tcp ? 'tcp' : 'auto' });
        } catch (err) {
          if (err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATUS' && err.status !== 401) {
            log(`${label}: SETUP refused (${explain(err, args)}), skipped`);
            continue;
          }
          throw err;
        }
        await sink.open(); // a bad -o directory fails here, before PLAY
        tracks.push({ sub, name, sink, done: Promise.resolve(), error: undefined });
      }
      if (tracks.length === 0) throw new Error(`no playable track in ${args.url}`);
      for (const t of tracks) {
        t.done = t.sink.startPlaying(t.sub.source).catch((err: unknown) => {
          t.error = err;
          requestStop('write error');
        });
      }
      await client.play();
    })();
    const first = await Promise.race([setupDone.then(() => 'playing'), stopRequested]);
    if (first !== 'playing') {
      setupDone.catch(() => {}); // stopped while connecting: whatever it does now is moot
    } else {
      for (const t of tracks) {
        const file = path.join(args.outputDir, t.name);
        if (args.status === 'json') status.json({ type: 'recording', medium: t.sub.mediumName, codec: t.sub.codecName, file });
        else process.stdout.write(`recording ${t.sub.mediumName}/${t.sub.codecName} to ${file}\n`);
      }
      const started = scheduler.now();
      if (args.durationSeconds !== undefined) durationTimer = scheduler.scheduleDelayedTask(args.durationSeconds * 1e6, () => requestStop('duration'));
      const tick = (): void => {
        const elapsed = (scheduler.now() - started) / 1e6;
        const stats = tracks.map((t) => t.sub.stats);
        const bytes = tracks.reduce((n, t) => n + t.sink.bytesWritten, 0);
        const loss = lossPercent(stats);
        const files = tracks.map((t) => `${t.name} ${formatBytes(t.sink.bytesWritten)}`).join(', ');
        status.update(`recording ${elapsed.toFixed(0)} s: ${formatBytes(bytes)}, loss ${loss.toFixed(1)} % (${files})`, {
          seconds: Math.round(elapsed * 10) / 10,
          bytes,
          lossPercent: Math.round(loss * 100) / 100,
          tracks: tracks.map((t, i) => ({ file: t.name, bytes: t.sink.bytesWritten, packetsReceived: stats[i]!.packetsReceived, packetsLost: stats[i]!.packetsLost })),
        });
        if (args.qosEverySecond) {
          status.clear();
          tracks.forEach((t, i) => {
            if (args.status === 'json') status.json(qosJSON(t, stats[i]!));
            else process.stdout.write(`${qosLine(t, stats[i]!)}\n`);
          });
        }
        tickTimer = scheduler.scheduleDelayedTask(1_000_000, tick);
      };
      tickTimer = scheduler.scheduleDelayedTask(1_000_000, tick);
      const allEnded = Promise.all(tracks.map((t) => t.done)).then(() => 'end of stream');
      const why = await Promise.race([allEnded, stopRequested]);
      status.clear();
      if (why !== 'end of stream') log(`stopping (${why === 'duration' ? `${args.durationSeconds} s recorded` : why})`);
    }
  } catch (err) {
    logError(`dorsvr-client: ${explain(err, args)}`);
    exitCode = 1;
  } finally {
    scheduler.unscheduleDelayedTask(tickTimer);
    scheduler.unscheduleDelayedTask(durationTimer);
  }

  // Finish: read the statistics, TEARDOWN (which ends the sources), let the sinks drain what was
  // queued, close the files.
  const stats = tracks.map((t) => t.sub.stats);
  await client.close().catch((err: unknown) => log(`warning: ${explain(err, args)}`));
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(tracks.map((t) => t.done)),
    new Promise((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS))),
  ]);
  clearTimeout(drainTimer);
  for (const t of tracks) {
    await t.sink.close().catch((err: unknown) => (t.error ??= err));
  }
  for (const t of tracks) {
    if (t.error !== undefined) {
      logError(`dorsvr-client: ${t.name}: ${explain(t.error, args)}`);
      exitCode = 1;
    }
  }
  tracks.forEach((t, i) => {
    if (args.status === 'json') status.json(qosJSON(t, stats[i]!));
    else process.stdout.write(`${qosLine(t, stats[i]!)}\n`);
  });
  if (exitCode === 0 && tracks.length > 0 && stats.every((s) => s.packetsReceived === 0)) log('warning: no data was received');
  scheduler.close();
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logError(`dorsvr-client: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    process.exit(1);
  },
);
