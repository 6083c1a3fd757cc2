// Real peer: ffmpeg packetizes files we also read directly; our depacketizers must give back the
// same elementary-stream units, byte for byte, and ffmpeg's RTCP SR must synchronise the clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  H264VideoRTPSource,
  MPEG4GenericRTPSource,
  MPEG1or2AudioRTPSource,
  SimpleRTPSource,
  RTCPInstance,
  parseRTCP,
  serializeRTCP,
  H265VideoRTPSource,
  splitAnnexB,
  type RTPFrame,
  type RTPSource,
  type RTCPSenderInfo,
} from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';

const ffmpeg = findPeer('ffmpeg');

function run(args: string[]): void {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { timeout: 60_000 });
  assert.equal(r.status, 0, `ffmpeg ${args.join(' ')}: ${r.stderr?.toString()}`);
}

function bind(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

/** An even/odd loopback port pair, as RTP/RTCP want. */
async function portPair(): Promise<[dgram.Socket, dgram.Socket]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = await bind(0);
    if (!a) continue;
    const port = a.address().port;
    if (port % 2 === 0) {
      const b = await bind(port + 1);
      if (b) return [a, b];
    }
    a.close();
  }
  throw new Error('no free even/odd UDP port pair on 127.0.0.1');
}

interface Capture {
  rtp: Uint8Array[];
  rtcp: Uint8Array[];
}

/** Run ffmpeg sending RTP to a local port pair; collect every datagram in arrival order. */
async function capture(inputArgs: string[], outputArgs: string[], output?: (url: string) => string[]): Promise<Capture> {
  const [rtpSock, rtcpSock] = await portPair();
  const got: Capture = { rtp: [], rtcp: [] };
  // ffmpeg's datagrams are in our sockets' queues when it has exited (loopback); a marker sent to
  // each socket after that comes out of its queue after all of them.
  const marker = Buffer.from('dorsvr: every datagram before this one was read');
  const drained = [rtpSock, rtcpSock].map(
    (sock, i) =>
      new Promise<void>((resolve) =>
        sock.on('message', (m) => (m.equals(marker) ? resolve() : (i === 0 ? got.rtp : got.rtcp).push(new Uint8Array(m)))),
      ),
  );
  const port = rtpSock.address().port;
  try {
    await new Promise<void>((resolve, reject) => {
      const url = `rtp://127.0.0.1:${port}?pkt_size=1200`;
      const child = spawn(ffmpeg, [
        '-hide_banner', '-loglevel', 'error', '-y', ...inputArgs, ...outputArgs, ...(output ? output(url) : ['-f', 'rtp', url]),
      ]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`ffmpeg exited ${code}: ${stderr}`));
      });
    });
    rtpSock.send(marker, port, '127.0.0.1');
    rtcpSock.send(marker, port + 1, '127.0.0.1');
    await Promise.all(drained);
  } finally {
    rtpSock.close();
    rtcpSock.close();
  }
  return got;
}

/** Feed a capture into a source (RTCP through an RTCPInstance) and read every frame. */
async function playInto(src: RTPSource, sched: VirtualTaskScheduler, cap: Capture): Promise<{ frames: RTPFrame[]; srs: RTCPSenderInfo[] }> {
  const noTransport = { send: () => true, on: () => undefined, off: () => undefined };
  const rtcp = new RTCPInstance({ scheduler: sched, rtcpInterface: noTransport, source: src, cname: 'test@dorsvr' });
  const srs: RTCPSenderInfo[] = [];
  rtcp.on('sr', (s) => srs.push(s));
  // RTCP first: ffmpeg sends its SR along with the first RTP packet.
  for (const c of cap.rtcp) rtcp.injectPacket(c);
  for (const p of cap.rtp) {
    src.injectPacket(p);
    sched.advance(100);
  }
  src.endOfStream();
  const frames: RTPFrame[] = [];
  for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) frames.push(f);
  assert.equal(src.damagedFrames, 0);
  assert.equal(src.lostPackets, 0);
  assert.equal(src.receptionStats?.packetsLost, 0);
  rtcp.close();
  src.close();
  return { frames, srs };
}

function checkSynced(frames: RTPFrame[], srs: RTCPSenderInfo[]): void {
  assert.ok(srs.length >= 1, 'ffmpeg sent at least one RTCP SR');
  assert.ok(Math.abs(srs[0]!.wallClockUs - Date.now() * 1000) < 120e6, 'SR NTP time is ffmpeg wall-clock time');
  assert.ok(frames.every((f) => f.syncedUsingRTCP), 'every frame is on the sender clock');
  // The first frame sits within a second of ffmpeg's NTP time for the SR's RTP timestamp.
  assert.ok(Math.abs(frames[0]!.presentationTime - srs[0]!.wallClockUs) < 1e6);
}

test('ffmpeg H.264 over RTP (FU-A, single NAL) gives back the file NAL units, byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.264');
    run(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '30', '-c:v', 'libx264', '-bf', '0', '-g', '10',
      '-threads', '1', '-pix_fmt', 'yuv420p', '-f', 'h264', file]);
    const cap = await capture(['-re', '-framerate', '25', '-i', file], ['-c', 'copy']);
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames, srs } = await playInto(new H264VideoRTPSource({ scheduler: sched, payloadType: 96 }), sched, cap);
    const expected = splitAnnexB(readFileSync(file)).map((n) => Buffer.from(n.data).toString('hex'));
    assert.deepEqual(frames.map((f) => Buffer.from(f.data).toString('hex')), expected);
    assert.ok(frames.some((f) => f.data.length > 1200), 'some NAL units were fragmented (FU-A)');
    assert.equal(frames.filter((f) => f.key).length, 3, '3 IDR pictures (GOP 10)');
    const aus = frames.filter((f) => f.endOfAccessUnit);
    assert.equal(aus.length, 30);
    // 25 fps: 3600 ticks per picture.
    assert.deepEqual(aus.slice(1).map((f, i) => (f.rtpTimestamp - aus[i]!.rtpTimestamp) >>> 0), Array(29).fill(3600));
    checkSynced(frames, srs);

    // The same packets with every 7th dropped and neighbours swapped: whatever comes out is whole.
    const lossy = new VirtualTaskScheduler(0, Date.now() * 1000);
    const src = new H264VideoRTPSource({ scheduler: lossy, reorder: { maxDelayUs: 20_000 } });
    let damaged = 0;
    src.on('damaged', () => damaged++);
    const kept = cap.rtp.filter((_, i) => i % 7 !== 3);
    for (let i = 5; i + 1 < kept.length; i += 5) [kept[i], kept[i + 1]] = [kept[i + 1]!, kept[i]!];
    for (const p of kept) {
      src.injectPacket(p);
      lossy.advance(5_000);
    }
    lossy.advance(100_000);
    src.endOfStream();
    const survivors: RTPFrame[] = [];
    for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) survivors.push(f);
    const whole = new Set(expected);
    assert.ok(survivors.every((f) => whole.has(Buffer.from(f.data).toString('hex'))), 'no partial NAL unit delivered');
    assert.ok(damaged > 0 && damaged === src.damagedFrames, `${damaged} damaged NAL units reported`);
    assert.ok(survivors.length + damaged <= expected.length);
    // The first two packets arrive in order, so RFC 3550 probation ends at once and every drop before
    // the last packet received counts (a drop at the very end is invisible to any receiver).
    const n = cap.rtp.length;
    const invisible = (n - 1) % 7 === 3 ? 1 : 0;
    assert.equal(src.receptionStats!.packetsLost, n - kept.length - invisible);
    assert.equal(src.latePackets, 0, 'the swaps stay inside the reorder window');
    src.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg AAC (mpeg4-generic, several AUs per packet) gives back the ADTS payloads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.aac');
    // One encode, two outputs (tee): the ADTS file we read directly, and RTP to us.
    const cap = await capture(
      ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2'],
      ['-map', '0:a', '-c:a', 'aac', '-b:a', '64k', '-flags', '+global_header'],
      (url) => ['-f', 'tee', `[f=adts]${file}|[f=rtp]${url}`],
    );
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames, srs } = await playInto(
      new MPEG4GenericRTPSource({ scheduler: sched, timestampFrequency: 48_000, payloadType: 97 }),
      sched,
      cap,
    );
    // Raw AUs from the ADTS file: header length 7 (no CRC) or 9.
    const adts = readFileSync(file);
    const expected: string[] = [];
    for (let off = 0; off + 7 <= adts.length; ) {
      const len = ((adts[off + 3]! & 3) << 11) | (adts[off + 4]! << 3) | (adts[off + 5]! >> 5);
      const hdr = adts[off + 1]! & 1 ? 7 : 9;
      expected.push(adts.subarray(off + hdr, off + len).toString('hex'));
      off += len;
    }
    assert.ok(expected.length > 90);
    const got = frames.map((f) => Buffer.from(f.data).toString('hex'));
    // ffmpeg 5.1's AAC packetizer aggregates AUs and does not flush its last aggregate at the end,
    // so the final packet's AUs may never be sent; everything sent must come back exact.
    assert.ok(got.length >= expected.length - 3, `${got.length} of ${expected.length} AUs`);
    assert.deepEqual(got, expected.slice(0, got.length));
    assert.ok(cap.rtp.length < expected.length, 'ffmpeg aggregated several AUs per packet');
    assert.deepEqual(frames.slice(1).map((f, i) => (f.rtpTimestamp - frames[i]!.rtpTimestamp) >>> 0), Array(frames.length - 1).fill(1024));
    checkSynced(frames, srs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg MP3 (RFC 2250 MPA) gives back the MP3 frames', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.mp3');
    run(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2', '-c:a', 'libmp3lame', '-b:a', '128k',
      '-write_xing', '0', '-id3v2_version', '0', file]);
    const cap = await capture(['-i', file], ['-c', 'copy']);
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames, srs } = await playInto(new MPEG1or2AudioRTPSource({ scheduler: sched, payloadType: 14 }), sched, cap);
    // The file's frames, cut by the frame sizes in their headers (MPEG-1 Layer III, 44.1 kHz).
    const mp3 = readFileSync(file);
    const expected: string[] = [];
    for (let off = 0; off + 4 <= mp3.length; ) {
      const kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320][mp3[off + 2]! >> 4]!;
      const size = Math.floor((144 * kbps * 1000) / 44_100) + ((mp3[off + 2]! >> 1) & 1);
      expected.push(mp3.subarray(off, off + size).toString('hex'));
      off += size;
    }
    const got = frames.map((f) => Buffer.from(f.data).toString('hex'));
    // ffmpeg 5.1's MPA packetizer aggregates frames (two per 1200-byte packet here) and does not
    // flush its last aggregate at the end: up to two trailing frames are never sent.
    assert.ok(got.length >= expected.length - 2, `${got.length} of ${expected.length} frames`);
    assert.deepEqual(got, expected.slice(0, got.length));
    assert.ok(cap.rtp.length < got.length, 'several frames per packet');
    assert.ok(frames.length > 70 && frames.every((f) => f.data[0] === 0xff), `${frames.length} frames`);
    assert.ok(frames.every((f) => f.duration === 26_122));
    checkSynced(frames, srs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg PCMU gives back the µ-law bytes with 8 kHz timing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.ul');
    run(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:duration=1', '-c:a', 'pcm_mulaw', '-f', 'mulaw', file]);
    const cap = await capture(['-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', file], ['-c', 'copy']);
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames, srs } = await playInto(new SimpleRTPSource({ scheduler: sched, encodingName: 'PCMU', payloadType: 0 }), sched, cap);
    assert.deepEqual(Buffer.concat(frames.map((f) => f.data)), readFileSync(file));
    const total = frames.reduce((a, f) => a + f.duration, 0);
    assert.ok(Math.abs(total - 1_000_000) < 1000, `total duration ${total}`);
    checkSynced(frames, srs);
    // ffmpeg's own RTCP bytes parse and serialize back unchanged.
    assert.ok(cap.rtcp.length >= 1);
    for (const c of cap.rtcp) {
      const packets = parseRTCP(c);
      assert.equal(packets[0]!.type, 'sr');
      assert.deepEqual(serializeRTCP(packets), c);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg H.265 over RTP (FU, single NAL) gives back the file NAL units, byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.265');
    run(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-frames:v', '20', '-c:v', 'libx265', '-bf', '0', '-g', '10',
      '-x265-params', 'log-level=error:pools=none:frame-threads=1', '-pix_fmt', 'yuv420p', '-f', 'hevc', file]);
    const cap = await capture(['-re', '-framerate', '25', '-i', file], ['-c', 'copy']);
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames, srs } = await playInto(new H265VideoRTPSource({ scheduler: sched, payloadType: 96 }), sched, cap);
    const expected = splitAnnexB(readFileSync(file)).map((n) => Buffer.from(n.data).toString('hex'));
    const got = frames.map((f) => Buffer.from(f.data).toString('hex'));
    assert.deepEqual(got, expected);
    assert.ok(frames.some((f) => f.data.length > 1200), 'some NAL units were fragmented (FU)');
    assert.equal(frames.filter((f) => f.key).length, 2, '2 IRAP pictures (GOP 10)');
    checkSynced(frames, srs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ffmpeg MPEG-TS over RTP (MP2T) gives back the transport stream', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-rtpsrc-'));
  try {
    const file = join(dir, 'a.ts');
    run(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-frames:v', '25', '-c:v', 'libx264', '-bf', '0', '-threads', '1',
      '-f', 'mpegts', file]);
    const cap = await capture(['-re', '-i', file], ['-c', 'copy'], (url) => ['-f', 'rtp_mpegts', url]);
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const { frames } = await playInto(new SimpleRTPSource({ scheduler: sched, encodingName: 'MP2T', payloadType: 33 }), sched, cap);
    const ts = Buffer.concat(frames.map((f) => f.data));
    assert.ok(frames.every((f) => f.data.length % 188 === 0 && f.data[0] === 0x47));
    // ffmpeg re-muxes (new PAT/PMT timing), so compare what a player sees: ffprobe's frame list.
    const probe = (path: string) =>
      spawnSync(findPeer('ffprobe'), ['-v', 'error', '-show_entries', 'packet=pts,size,flags', '-of', 'csv', path]).stdout.toString();
    const out = join(dir, 'b.ts');
    writeFileSync(out, ts);
    // ffmpeg's rtp_mpegts does not flush its last RTP packet's worth of TS packets at the end, so
    // the final picture may be cut: every picture before it must match the file's, in order.
    const ours = probe(out).split('\n').filter((l) => l);
    const theirs = probe(file).split('\n').filter((l) => l);
    assert.ok(ours.length >= theirs.length - 4, `${ours.length} of ${theirs.length} pictures`);
    assert.deepEqual(ours.slice(0, -1), theirs.slice(0, ours.length - 1));
    // Continuity counters prove no TS packet was lost, duplicated or reordered on the way.
    const cc = new Map<number, number>();
    for (let off = 0; off < ts.length; off += 188) {
      const pid = ((ts[off + 1]! & 0x1f) << 8) | ts[off + 2]!;
      const hasPayload = (ts[off + 3]! & 0x10) !== 0;
      const c = ts[off + 3]! & 0x0f;
      const prev = cc.get(pid);
      if (prev !== undefined && hasPayload && pid !== 0x1fff) assert.equal(c, (prev + 1) & 0x0f, `PID ${pid} at ${off}`);
      if (hasPayload) cc.set(pid, c);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
