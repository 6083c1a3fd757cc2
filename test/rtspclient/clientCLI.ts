// Runs the compiled dorsvr-client as a child process, and checks recorded files against their
// sources (shared by the recording tests).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, fixture } from '../helpers/paths.js';
import { annexB4, annexBNalUnits, mp3AudioBytes, probePackets, wavParts } from '../helpers/mediaFiles.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';

/** The compiled CLI. */
export const CLI = join(repoRoot, 'packages', 'rtspclient', 'dist', 'cli.js');

/** What a finished CLI run gave. */
export interface CLIResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** Start `dorsvr-client args…`; `onStdout` sees its output as it comes. Killed after `timeoutMs`. */
export async function startCLI(args: readonly string[], timeoutMs = 60_000, onStdout?: (all: string, child: ChildProcess) => void): Promise<CLIResult> {
  const t0 = Date.now();
  const r = await runPeer(process.execPath, [CLI, ...args], timeoutMs, onStdout);
  return { ...r, ms: Date.now() - t0 };
}

/** The `qos <file>: k=v …` line of a track, as numbers. */
export function qos(stdout: string, name: string): Record<string, number> {
  const lines = stdout.split('\n').filter((l) => l.startsWith(`qos ${name}: `));
  const line = lines[lines.length - 1];
  assert.ok(line, `no QoS line for ${name} in ${JSON.stringify(stdout)}`);
  return Object.fromEntries(line.slice(`qos ${name}: `.length).split(' ').map((kv) => {
    const [k, v] = kv.split('=') as [string, string];
    return [k, Number(v)];
  }));
}

/** The file name dorsvr-client writes for each fixture served by DynamicRTSPServer (one track). */
export const RECORDED_NAME: Readonly<Record<string, string>> = {
  'test.264': 'video-H264-1.264',
  'test.265': 'video-H265-1.265',
  'test.aac': 'audio-MPEG4-GENERIC-1.aac',
  'test.mp3': 'audio-MPA-1.mp3',
  'test.wav': 'audio-L16-1.wav',
  'test.ts': 'video-MP2T-1.ts',
};

/**
 * For .264/.265: the recording is some parameter sets (the SDP's, each a NAL unit of the source),
 * then every NAL unit of the source, all with 4-byte start codes. `prefixOnly` accepts a recording
 * stopped early: then it must be a prefix of that, ending on a whole NAL unit.
 */
export function checkAnnexB(written: Buffer, source: Buffer, h265: boolean, prefixOnly = false): { sdpSets: number; nals: number } {
  const isSet = (n: Uint8Array): boolean => (h265 ? [32, 33, 34].includes((n[0]! >> 1) & 0x3f) : [7, 8].includes(n[0]! & 0x1f));
  const src = annexBNalUnits(source);
  const got = annexBNalUnits(written);
  assert.equal(Buffer.compare(written, annexB4(got)), 0, 'every start code is 4 bytes');
  const leadingSets = (nals: readonly Uint8Array[]): number => {
    let n = 0;
    while (n < nals.length && isSet(nals[n]!)) n++;
    return n;
  };
  // The source begins with its own parameter sets; the SDP's come before those.
  const sdpSets = leadingSets(got) - leadingSets(src);
  assert.ok(sdpSets >= (h265 ? 3 : 2), `${sdpSets} parameter sets from the SDP before the stream`);
  const srcHex = new Set(src.map((n) => n.toString('hex')));
  for (const s of got.slice(0, sdpSets)) assert.ok(srcHex.has(s.toString('hex')), 'an SDP parameter set is one of the file');
  const body = got.slice(sdpSets);
  if (prefixOnly) {
    assert.ok(body.length < src.length, 'stopped early');
    body.forEach((n, i) => assert.equal(Buffer.compare(n, src[i]!), 0, `NAL unit ${i}`));
  } else {
    assert.equal(body.length, src.length, 'NAL unit count');
    body.forEach((n, i) => assert.equal(Buffer.compare(n, src[i]!), 0, `NAL unit ${i}`));
  }
  return { sdpSets, nals: body.length };
}

/**
 * A recording of `name` (a fixture) compared with its source: byte for byte where the format allows
 * (see each case), then ffprobe on both: codec, geometry, rate, channels, and the packet list
 * (count and durations; sizes too except for Annex-B, whose leading parameter sets and 4-byte
 * start codes change them).
 */
export async function checkRecording(name: string, written: string, source = fixture(name)): Promise<void> {
  const w = readFileSync(written);
  const s = readFileSync(source);
  let sameSizes = true;
  if (name.endsWith('.264') || name.endsWith('.265')) {
    checkAnnexB(w, s, name.endsWith('.265'));
    sameSizes = false;
  } else if (name.endsWith('.aac') || name.endsWith('.ts')) {
    assert.equal(Buffer.compare(w, s), 0, `${written} is ${source} byte for byte`);
  } else if (name.endsWith('.mp3')) {
    assert.equal(Buffer.compare(w, mp3AudioBytes(source)), 0, `${written} is the audio frames of ${source}`);
  } else if (name.endsWith('.wav')) {
    const a = wavParts(written);
    const b = wavParts(source);
    assert.deepEqual([a.format, a.channels, a.sampleRate, a.bits], [b.format, b.channels, b.sampleRate, b.bits]);
    assert.equal(Buffer.compare(a.data, b.data), 0, 'the same samples');
  } else throw new Error(`no check for ${name}`);
  const [pw, ps] = await Promise.all([probe(written), probe(source)]);
  assert.deepEqual(
    [pw.codec, pw.width, pw.height, pw.sampleRate, pw.channels, pw.frames],
    [ps.codec, ps.width, ps.height, ps.sampleRate, ps.channels, ps.frames],
    'ffprobe: codec, geometry, rate, channels, packets',
  );
  assert.ok(pw.frames > 0);
  const [kw, ks] = await Promise.all([probePackets(written), probePackets(source)]);
  assert.deepEqual(kw.map((p) => p.duration), ks.map((p) => p.duration), 'ffprobe packet durations');
  if (sameSizes) assert.deepEqual(kw.map((p) => p.size), ks.map((p) => p.size), 'ffprobe packet sizes');
}
