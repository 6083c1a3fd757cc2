// Real peer: GStreamer's rtph264pay (STAP-A aggregation, FU-A) and rtpbin's RTCP, against a copy of
// the same encoded stream written to a file by a tee in the same pipeline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H264VideoRTPSource, RTCPInstance, splitAnnexB, type RTPFrame, type RTCPSenderInfo } from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';

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

test('GStreamer rtph264pay + rtpbin: STAP-A/FU-A/single NAL units match the encoder output, SR and BYE handled', async () => {
  const gst = findPeer('gst-launch-1.0');
  const dir = mkdtempSync(join(tmpdir(), 'dorsvr-gst-'));
  const [rtpSock, rtcpSock] = await portPair();
  const rtp: Uint8Array[] = [];
  const rtcp: Uint8Array[] = [];
  rtpSock.on('message', (m) => rtp.push(new Uint8Array(m)));
  rtcpSock.on('message', (m) => rtcp.push(new Uint8Array(m)));
  const port = rtpSock.address().port;
  const file = join(dir, 'ref.264');
  try {
    const pipeline =
      `rtpbin name=rb videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! ` +
      `x264enc tune=zerolatency key-int-max=10 ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream ! tee name=t ` +
      `t. ! queue ! filesink location=${file} ` +
      `t. ! queue ! rtph264pay mtu=1000 aggregate-mode=zero-latency ! rb.send_rtp_sink_0 ` +
      `rb.send_rtp_src_0 ! udpsink host=127.0.0.1 port=${port} ` +
      `rb.send_rtcp_src_0 ! udpsink host=127.0.0.1 port=${port + 1} sync=false async=false`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(gst, ['-q', ...pipeline.split(' ')]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`gst-launch-1.0 exited ${code}: ${stderr}`));
      });
    });
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    rtpSock.close();
    rtcpSock.close();
  }
  try {
    const sched = new VirtualTaskScheduler(0, Date.now() * 1000);
    const src = new H264VideoRTPSource({ scheduler: sched, payloadType: 96 });
    const noTransport = { send: () => true, on: () => undefined, off: () => undefined };
    const inst = new RTCPInstance({ scheduler: sched, rtcpInterface: noTransport, source: src, cname: 'rx' });
    const srs: RTCPSenderInfo[] = [];
    inst.on('sr', (s) => srs.push(s));
    for (const p of rtp) {
      src.injectPacket(p);
      sched.advance(100);
    }
    // rtpbin's RTCP here is its final compound (SR, SDES, BYE at end of stream): the BYE ends the
    // source once its grace for late packets is over, so the reads below finish without
    // endOfStream() being called.
    const byes: number[][] = [];
    inst.on('bye', (b) => byes.push([...b.ssrcs]));
    for (const c of rtcp) inst.injectPacket(c);
    assert.deepEqual(byes, [[src.ssrc]]);
    sched.advance(250_000);
    const frames: RTPFrame[] = [];
    for (let f = await src.getNextFrame(); f !== null; f = await src.getNextFrame()) frames.push(f);
    const expected = splitAnnexB(readFileSync(file)).map((n) => Buffer.from(n.data).toString('hex'));
    assert.deepEqual(frames.map((f) => Buffer.from(f.data).toString('hex')), expected);
    assert.equal(src.damagedFrames, 0);
    assert.equal(src.lostPackets, 0);
    assert.ok(rtp.some((p) => (p[12]! & 0x1f) === 24), 'GStreamer aggregated NAL units in STAP-A');
    assert.equal(frames.filter((f) => f.endOfAccessUnit).length, 50);
    const idrs = splitAnnexB(readFileSync(file)).filter((n) => (n.data[0]! & 0x1f) === 5).length;
    assert.ok(idrs >= 5);
    assert.equal(frames.filter((f) => f.key).length, idrs);
    assert.ok(srs.length >= 1, 'rtpbin sent an SR');
    assert.ok(Math.abs(srs[0]!.wallClockUs - Date.now() * 1000) < 120e6);
    inst.close();
    src.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
