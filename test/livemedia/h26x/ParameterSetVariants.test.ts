// SPS/VPS parsing across encoder settings the committed fixtures do not cover (4:4:4, 4:2:2 10-bit,
// interlaced MBAFF with scaling matrices, H.265 Main 10, 23.976 fps, odd sizes): each stream is made
// by the real ffmpeg into a temporary directory, then our parse must agree with ffprobe's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { H264VideoStreamFramer, H265VideoStreamFramer, parseH264SPS, parseH265SPS } from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';
import { ffprobeStream } from './ffprobeStream.js';
import { checkAgainstFfprobe } from './framerChecks.js';

const run = promisify(execFile);

interface Variant {
  name: string;
  codec: 'h264' | 'h265';
  size: string;
  args: string[];
  chroma: number;
  bitDepth: number;
}

const variants: Variant[] = [
  { name: 'H.264 High 4:4:4', codec: 'h264', size: '200x90', args: ['-pix_fmt', 'yuv444p'], chroma: 3, bitDepth: 8 },
  { name: 'H.264 High 4:2:2 10-bit', codec: 'h264', size: '202x90', args: ['-pix_fmt', 'yuv422p10le'], chroma: 2, bitDepth: 10 },
  {
    name: 'H.264 interlaced MBAFF + JVT scaling matrices',
    codec: 'h264',
    size: '200x92',
    args: ['-flags', '+ildct+ilme', '-x264-params', 'cqm=jvt', '-pix_fmt', 'yuv420p'],
    chroma: 1,
    bitDepth: 8,
  },
  { name: 'H.265 Main 10', codec: 'h265', size: '202x90', args: ['-pix_fmt', 'yuv420p10le'], chroma: 1, bitDepth: 10 },
];

for (const v of variants) {
  test(`${v.name}, ${v.size} at 24000/1001 fps: parse agrees with ffprobe`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dorsvr-sps-'));
    try {
      const file = join(dir, v.codec === 'h264' ? 'v.264' : 'v.265');
      const codecArgs =
        v.codec === 'h264'
          ? ['-c:v', 'libx264', '-bf', '0', '-g', '6']
          : ['-c:v', 'libx265', '-x265-params', 'bframes=0:keyint=6:log-level=error'];
      await run(findPeer('ffmpeg'), [
        '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${v.size}:rate=24000/1001`, '-t', '0.5',
        ...codecArgs, ...v.args, file,
      ]);
      const probe = await ffprobeStream(file);
      const Framer = v.codec === 'h264' ? H264VideoStreamFramer : H265VideoStreamFramer;
      const info = await Framer.probe(file);
      const sps = v.codec === 'h264' ? parseH264SPS(info.sps!) : parseH265SPS(info.sps!);
      assert.equal(sps.width, probe.width);
      assert.equal(sps.height, probe.height);
      assert.equal(sps.chromaFormatIdc, v.chroma);
      assert.equal(sps.bitDepthLuma, v.bitDepth);
      assert.ok(Math.abs(info.frameRate - 24000 / 1001) < 1e-9, `frame rate ${info.frameRate}`);
      if ('levelIdc' in sps) assert.equal(sps.levelIdc, probe.level);
      else assert.equal(sps.profileTierLevel.generalLevelIdc, probe.level);
      await checkAgainstFfprobe(Framer, file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
