// Our client publishing (ANNOUNCE, SETUP mode=record, RECORD, RTP + RTCP) into ffmpeg's one-shot
// RTSP receiver (`ffmpeg -rtsp_flags listen`), over UDP and TCP, each file type the server serves.
// ffmpeg depacketizes with its own code and writes a file; ffprobe and byte comparisons check it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../helpers/paths.js';
import { annexBNalUnits, wavParts } from '../helpers/mediaFiles.js';
import { withTempDir } from '../helpers/tempDir.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { findPeer } from '../helpers/peers.js';
import { publishFile, startFfmpegReceiver } from './publishHelpers.js';

/** ffmpeg's output options per file type: stream copy, except WAV (ffmpeg gets big-endian L16, a WAV holds little-endian). */
const OUTPUT: Record<string, string[]> = {
  '264': ['-c', 'copy'],
  '265': ['-c', 'copy'],
  aac: ['-c', 'copy'],
  mp3: ['-c', 'copy'],
  ts: ['-c', 'copy'],
  wav: ['-c:a', 'pcm_s16le'],
};

describe('our client publishes into ffmpeg -rtsp_flags listen', { concurrency: 3 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    for (const ext of Object.keys(OUTPUT)) {
      it(`test.${ext} over ${transport}: ffmpeg writes what the file holds`, async () => {
        await withTempDir(async (dir) => {
          const source = fixture(`test.${ext}`);
          const out = join(dir, `out.${ext}`);
          const receiver = await startFfmpegReceiver(out, OUTPUT[ext]);
          const { publication } = await publishFile(receiver.url, source, { transport });
          const r = await receiver.result;
          assert.equal(r.code, 0, `ffmpeg: ${r.stderr}`);
          const [track] = publication.session.tracks;
          assert.equal(track!.transport, undefined, 'closed');
          const stats = track!.stats;
          assert.ok(stats.packetsSent > 0);
          const [pw, ps] = await Promise.all([probe(out), probe(source)]);
          assert.deepEqual(
            [pw.codec, pw.width, pw.height, pw.sampleRate, pw.channels],
            [ps.codec, ps.width, ps.height, ps.sampleRate, ps.channels],
            'ffprobe: codec, geometry, rate, channels',
          );
          if (ext === '264' || ext === '265') {
            // Every NAL unit of the file, in order, nothing else.
            const got = annexBNalUnits(readFileSync(out)).map((n) => n.toString('hex'));
            const want = annexBNalUnits(readFileSync(source)).map((n) => n.toString('hex'));
            assert.deepEqual(got, want);
            assert.equal(pw.frames, ps.frames);
          } else if (ext === 'wav') {
            assert.equal(Buffer.compare(wavParts(out).data, wavParts(source).data), 0, 'the same samples');
          } else if (ext === 'ts') {
            // Every byte went out; ffmpeg demuxes the TS it receives and muxes it again, and its
            // demuxer keeps the last video frame (no PES follows it) to itself.
            assert.equal(stats.bytesSent, statSync(source).size);
            assert.ok(pw.frames >= ps.frames - 1 && pw.frames <= ps.frames, `${pw.frames} video frames of ${ps.frames}`);
            const [aw, as] = await Promise.all([probe(out, 'a:0'), probe(source, 'a:0')]);
            assert.deepEqual([aw.codec, aw.frames], [as.codec, as.frames], 'the audio stream of the TS');
          } else {
            assert.equal(pw.frames, ps.frames, 'ffprobe packets');
            assert.ok(pw.duration !== undefined && ps.duration !== undefined && Math.abs(pw.duration - ps.duration) < 0.05, `duration ${pw.duration} vs ${ps.duration}`);
          }
        });
      });
    }
  }

  it('--loop semantics: the file twice and more, RTP timestamps going on (ffmpeg keeps every packet, its times only increase)', async () => {
    await withTempDir(async (dir) => {
      const source = fixture('test.aac');
      const out = join(dir, 'out.aac');
      const receiver = await startFfmpegReceiver(out, ['-c', 'copy', '-f', 'adts']);
      let loops = 0;
      const { publication } = await publishFile(receiver.url, source, {
        transport: 'udp',
        loop: true,
        until: (p) => new Promise<void>((resolve) => p.on('loop', (_t, n) => ((loops = n), n === 2 && resolve()))),
      });
      assert.equal(loops, 2);
      const r = await receiver.result;
      assert.equal(r.code, 0, r.stderr);
      const ps = await probe(source);
      const pw = await probe(out);
      const sent = publication.stats;
      assert.ok(sent.secondsSent > 2 * (ps.duration ?? 1), `${sent.secondsSent} s sent`);
      assert.equal(pw.frames, sent.packetsSent, 'every AAC frame sent (one per packet) was written');
      assert.ok(pw.frames >= 2 * ps.frames, `${pw.frames} frames for ${ps.frames} in the file`);
      // ffmpeg's own timestamps of what it received: strictly increasing, no jump back at the loop.
      const pts = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', out]);
      const times = pts.stdout.trim().split('\n').map(Number);
      assert.equal(times.length, pw.frames);
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `packet ${i}: ${times[i]} after ${times[i - 1]}`);
      const step = (times[times.length - 1]! - times[0]!) / (times.length - 1);
      assert.ok(Math.abs(step - 1024 / 44100) < 0.001, `one AAC frame apart on average (${step})`);
    });
  });
});
