// Our whole RTP/RTCP loop on the virtual clock: file → H264VideoStreamFramer → H264VideoRTPSink →
// (in-memory wire, dropping known packets) → H264VideoRTPSource, with an RTCPInstance on each side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  ByteStreamMemorySource,
  H264VideoStreamFramer,
  H264VideoRTPSink,
  H264VideoRTPSource,
  RTCPInstance,
  splitAnnexB,
  type RTCPReceptionReport,
  type RTPFrame,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';
import { concatChunks as concat } from '../../helpers/bytes.js';

/** One direction of an RTCP link: what one side sends, the other side's instance receives. */
class Link {
  target: RTCPInstance | undefined;
  send(chunks: readonly Uint8Array[]): void {
    this.target?.injectPacket(concat(chunks));
  }
  on(): void {}
  off(): void {}
}

async function run(drop: (index: number) => boolean) {
  const sched = new VirtualTaskScheduler();
  const file = readFileSync(fixture('test.264'));
  const framer = new H264VideoStreamFramer(new ByteStreamMemorySource(file));
  const source = new H264VideoRTPSource({ scheduler: sched, payloadType: 96, reorder: { maxDelayUs: 50_000 } });
  let index = 0;
  const sendTimes = new Map<number, number>();
  const sink = new H264VideoRTPSink({
    scheduler: sched,
    payloadType: 96,
    maxPayloadSize: 1000,
    initialSequenceNumber: 65_500, // wraps during the stream
    rtpInterface: {
      send: (chunks: readonly Uint8Array[]) => {
        const packet = concat(chunks);
        const ts = ((packet[4]! << 24) | (packet[5]! << 16) | (packet[6]! << 8) | packet[7]!) >>> 0;
        if (!sendTimes.has(ts)) sendTimes.set(ts, sched.wallClockUs());
        if (!drop(index++)) source.injectPacket(packet);
      },
    },
  });
  const toReceiver = new Link();
  const toSender = new Link();
  const senderRTCP = new RTCPInstance({ scheduler: sched, rtcpInterface: toReceiver, sink, cname: 'tx', random: () => 0.5 });
  const receiverRTCP = new RTCPInstance({ scheduler: sched, rtcpInterface: toSender, source, cname: 'rx', random: () => 0.9 });
  toReceiver.target = receiverRTCP;
  toSender.target = senderRTCP;
  const rrs: RTCPReceptionReport[] = [];
  senderRTCP.on('rr', (r) => rrs.push(r));

  const frames: RTPFrame[] = [];
  const reading = (async () => {
    for (let f = await source.getNextFrame(); f !== null; f = await source.getNextFrame()) frames.push(f);
  })();
  let done = false;
  const playing = sink.startPlaying(framer).then(() => (done = true));
  let srSent = false;
  for (let i = 0; i < 2000 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    sched.advance(5_000);
    if (!srSent && sink.packetCount > 0 && sched.now() >= 200_000) {
      senderRTCP.sendReport(); // an early SR, so the receiver synchronises mid-stream
      srSent = true;
    }
  }
  await playing;
  sched.advance(4_000_000); // the RTCP reports after the stream
  source.endOfStream();
  await reading;
  senderRTCP.close();
  receiverRTCP.close();
  sink.close();
  framer.close();
  source.close();
  return { frames, rrs, sendTimes, sent: index, source, file };
}

test('sink → source on the virtual clock: the file NAL units, byte for byte, RTP time and RTCP sync', async () => {
  const { frames, rrs, sendTimes, source, file, sent } = await run(() => false);
  const expected = splitAnnexB(file).map((n) => Buffer.from(n.data).toString('hex'));
  assert.deepEqual(frames.map((f) => Buffer.from(f.data).toString('hex')), expected);
  assert.ok(sent > 50, `${sent} packets`);
  const aus = frames.filter((f) => f.endOfAccessUnit);
  assert.equal(aus.length, 50);
  assert.deepEqual(aus.slice(1).map((f, i) => (f.rtpTimestamp - aus[i]!.rtpTimestamp) >>> 0), Array(49).fill(3600));
  // After the early SR, presentation times are the sender's wall clock at which each frame was sent.
  const synced = frames.filter((f) => f.syncedUsingRTCP);
  assert.ok(synced.length > 30 && synced.length < frames.length, `${synced.length} synced frames`);
  for (const f of synced) assert.ok(Math.abs(f.presentationTime - sendTimes.get(f.rtpTimestamp)!) <= 1, 'pt = send time');
  // The receiver's RR reached the sender: no loss, RTT ≈ 0 on an instant wire.
  assert.ok(rrs.length >= 1);
  const last = rrs[rrs.length - 1]!;
  assert.equal(last.cumulativeLost, 0);
  assert.ok(last.rttSeconds !== undefined && last.rttSeconds < 0.001, `rtt ${last.rttSeconds}`);
  assert.equal(source.damagedFrames, 0);
});

test('sink → source with known packets dropped: sender sees the loss in RRs, damaged NALs are never delivered', async () => {
  // Packet 4 is a middle FU-A fragment of the first IDR slice; 30, 31 and 50 single-NAL P slices.
  const dropped = new Set([4, 30, 31, 50]);
  const { frames, rrs, source, file } = await run((i) => dropped.has(i));
  const whole = new Set(splitAnnexB(file).map((n) => Buffer.from(n.data).toString('hex')));
  assert.ok(frames.every((f) => whole.has(Buffer.from(f.data).toString('hex'))));
  assert.equal(source.receptionStats!.packetsLost, 4);
  assert.equal(source.lostPackets, 4);
  const last = rrs[rrs.length - 1]!;
  assert.equal(last.cumulativeLost, 4, 'the sender learns exactly how many packets were lost');
  assert.ok(rrs.some((r) => r.fractionLost > 0), JSON.stringify(rrs.map((r) => r.fractionLost)));
  assert.equal(source.damagedFrames, 1, 'the IDR slice that lost a fragment is reported, not delivered');
  const idrs = splitAnnexB(file).filter((n) => (n.data[0]! & 0x1f) === 5).length;
  assert.equal(frames.filter((f) => f.key).length, idrs - 1, 'the damaged IDR slice did not come out');
  assert.equal(frames.length, splitAnnexB(file).length - 4, "every NAL unit but the 4 hit");
});
