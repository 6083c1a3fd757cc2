import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { MPEG2TransportStreamFramer, ByteStreamMemorySource, TS_PACKET_SIZE } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

test('7 whole TS packets per frame, times from the PCRs at the file\'s own rate, duration and seek', async () => {
  const f = await MPEG2TransportStreamFramer.open(fixture('test.ts'));
  const size = statSync(fixture('test.ts')).size;
  const duration = f.durationSeconds()!;
  assert.ok(duration > 1.9 && duration < 2.4, `duration ${duration}`);
  let bytes = 0;
  let last = -1;
  let lastFrame: { presentationTime: number } | undefined;
  for await (const fr of f) {
    assert.equal(fr.data.length % TS_PACKET_SIZE, 0);
    assert.ok(fr.data.length <= 7 * TS_PACKET_SIZE);
    for (let i = 0; i < fr.data.length; i += TS_PACKET_SIZE) assert.equal(fr.data[i], 0x47);
    assert.ok(fr.presentationTime > last, 'presentation times increase');
    last = fr.presentationTime;
    bytes += fr.data.length;
    lastFrame = fr;
  }
  assert.equal(bytes, size);
  // Paced at the PCR rate: the last frame is due shortly before the PCRs say the file ends, never
  // after (packets after the last PCR go at the file's average rate: this clip's last PCR interval
  // is slow, and at its rate the tail ran 0.2 s past the duration, which players clip as beyond
  // the PLAY Range).
  const end = lastFrame!.presentationTime / 1e6;
  assert.ok(end <= duration && end > duration - 0.1, `last frame at ${end} s of ${duration} s`);
  const g = await MPEG2TransportStreamFramer.open(fixture('test.ts'));
  const reached = g.seekToNPT(1)!;
  assert.ok(Math.abs(reached - 1) < 0.05);
  const first = await g.getNextFrame();
  assert.ok(Math.abs(first!.presentationTime / 1e6 - reached) < 0.01);
  g.close();
});

test('resynchronises on the sync byte after garbage', async () => {
  const { readFileSync } = await import('node:fs');
  const ts = readFileSync(fixture('test.ts'));
  const corrupted = Buffer.concat([Buffer.from([1, 2, 3, 0x47, 5]), ts.subarray(0, 188 * 20), Buffer.from([9, 9]), ts.subarray(188 * 20, 188 * 40)]);
  const f = new MPEG2TransportStreamFramer(new ByteStreamMemorySource(corrupted));
  let packets = 0;
  for await (const fr of f) {
    for (let i = 0; i < fr.data.length; i += TS_PACKET_SIZE) assert.equal(fr.data[i], 0x47);
    packets += fr.data.length / TS_PACKET_SIZE;
  }
  // Every intact packet but the one right before the inserted garbage (its successor does not
  // start with a sync byte, so it cannot be trusted).
  assert.ok(packets === 39 || packets === 40, `${packets} packets`);
});
