// File chunks are read into again once every frame cut from them was sent (Frame.owner): the send
// path then touches the same ~1 MiB per stream instead of fresh memory per chunk (and sources
// reading one file share its chunks). What must hold:
// a packet the sender still holds (a UDP send Node queued) keeps its bytes however far the stream
// goes on; every packet carries the bytes it would carry without any reuse; and a consumer that
// never hands frames back finds them all intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Groupsock } from '@dorsvr/groupsock';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  H264VideoRTPSink,
  H264VideoStreamFramer,
  H265VideoRTPSink,
  H265VideoStreamFramer,
  MPEG2TransportStreamFramer,
  SimpleRTPSink,
  splitAnnexB,
  type Frame,
  type FramedSource,
  type MultiFramedRTPSink,
  type RTPPacketSender,
  type RTPSinkOptions,
} from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

/** The chunk size the H.264/H.265 framers read files with (H26X_FILE_CHUNK_SIZE, not exported). */
const H26X_FILE_CHUNK_SIZE = 512 * 1024;
import { playOnVirtualClock } from '../../helpers/virtualPlay.js';
import { withTempDir } from '../../helpers/tempDir.js';

/**
 * Copies every packet as it is sent; holds (answers true, keeps the chunks) those `hold` picks,
 * except aggregation packets (STAP-A, AP): holding one keeps its chunk for good, which would hide
 * a chunk reused under the other held packets. Also notes the file chunks the frames played were
 * views of ({@link watch}).
 */
class Recorder implements RTPPacketSender {
  readonly packets: Buffer[] = [];
  readonly held: { index: number; chunks: Uint8Array[]; snapshot: Buffer }[] = [];
  /** Chunk-sized buffers that frames were views of: the file chunks the stream went through. */
  readonly chunkBuffers = new Set<ArrayBufferLike>();
  constructor(
    readonly hold: (index: number) => boolean,
    readonly chunkSize: number,
  ) {}
  send(chunks: readonly Uint8Array[]): boolean {
    const index = this.packets.length;
    const snapshot = Buffer.concat(chunks);
    this.packets.push(snapshot);
    if (!this.hold(index) || this.isAggregation(snapshot)) return false;
    this.held.push({ index, chunks: [...chunks], snapshot });
    return true;
  }
  /** STAP-A (24) or AP (48), by the payload's first byte (MP2T's sync byte 0x47 is neither). */
  isAggregation(packet: Buffer): boolean {
    return packet.length > 12 && ((packet[12]! & 0x1f) === 24 || ((packet[12]! >> 1) & 0x3f) === 48) && packet[12] !== 0x47;
  }
  /** Note the chunk buffer of every frame `source` hands out. */
  watch(source: FramedSource): void {
    const pull = source.pullFrame.bind(source);
    const note = (f: Frame | null): Frame | null => {
      if (f !== null && f.data.buffer.byteLength === this.chunkSize) this.chunkBuffers.add(f.data.buffer);
      return f;
    };
    source.pullFrame = () => {
      const r = pull();
      return r instanceof Promise ? r.then(note) : note(r);
    };
  }
}

interface Case {
  name: string;
  fixture: string;
  repeat: number;
  chunkSize: number;
  open(path: string): Promise<FramedSource>;
  /** For an Annex-B stream: whether a NAL unit is a parameter set (kept only where first seen). */
  parameterSet?: (nal: Uint8Array) => boolean;
  sink(options: RTPSinkOptions): MultiFramedRTPSink;
}

const cases: Case[] = [
  {
    name: 'MPEG-TS',
    fixture: 'test.ts',
    repeat: 100,
    chunkSize: 1316 * 384,
    open: (p) => MPEG2TransportStreamFramer.open(p),
    sink: (o) => new SimpleRTPSink({ ...o, sdpMediaType: 'video', rtpTimestampFrequency: 90_000, rtpPayloadFormatName: 'MP2T', unitSize: 188 }),
  },
  {
    name: 'H.264 (STAP-A parameter sets, FU-A)',
    fixture: 'test.264',
    repeat: 250,
    chunkSize: H26X_FILE_CHUNK_SIZE,
    open: (p) => H264VideoStreamFramer.open(p),
    parameterSet: (nal) => (nal[0]! & 0x1f) === 7 || (nal[0]! & 0x1f) === 8,
    sink: (o) => new H264VideoRTPSink({ ...o, aggregateParameterSets: true, maxPayloadSize: 600 }),
  },
  {
    name: 'H.265 (AP parameter sets, FU)',
    fixture: 'test.265',
    repeat: 350,
    chunkSize: H26X_FILE_CHUNK_SIZE,
    open: (p) => H265VideoStreamFramer.open(p),
    parameterSet: (nal) => ((nal[0]! >> 1) & 0x3f) >= 32 && ((nal[0]! >> 1) & 0x3f) <= 34,
    sink: (o) => new H265VideoRTPSink({ ...o, aggregateParameterSets: true, maxPayloadSize: 600 }),
  },
];

/**
 * The fixture repeated `times` (about 5 MB: ten chunks or more), in a temporary directory. An
 * Annex-B stream keeps its parameter sets only at the start, as most files have them: the sink
 * then holds on to the first ones for the whole stream.
 */
function longFile(dir: string, name: string, times: number, parameterSet?: (nal: Uint8Array) => boolean): string {
  const path = join(dir, `long-${name}`);
  const whole = Buffer.concat(Array.from({ length: times }, () => readFileSync(fixture(name))));
  if (!parameterSet) writeFileSync(path, whole);
  else {
    const nals = splitAnnexB(whole).map((n) => n.data);
    const first = nals.findIndex((n) => !parameterSet(n));
    const kept = nals.filter((n, i) => i < first || !parameterSet(n));
    writeFileSync(path, Buffer.concat(kept.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
  }
  return path;
}

/** Plays the file into the codec's sink; returns the sink's fmtp line once the stream has ended. */
async function play(c: Case, path: string, recorder: Recorder): Promise<string> {
  const scheduler = new VirtualTaskScheduler();
  const source = await c.open(path);
  recorder.watch(source);
  const sink = c.sink({ scheduler, rtpInterface: recorder, payloadType: 96, ssrc: 0x1234, initialSequenceNumber: 0, initialTimestamp: 0 });
  await playOnVirtualClock(scheduler, sink, source, 1_000_000);
  sink.close();
  source.close();
  return sink.auxSDPLine();
}

for (const c of cases) {
  test(`${c.name}: held sends keep their bytes, every packet is right, and chunks are reused otherwise`, async () => {
    await withTempDir(async (dir) => {
      const path = longFile(dir, c.fixture, c.repeat, c.parameterSet);
      const chunks = Math.ceil(readFileSync(path).length / c.chunkSize);
      assert.ok(chunks >= 10, `${chunks} chunks`);
      // Reference: the sender holds every packet, so no chunk is ever reused.
      const reference = new Recorder(() => true, c.chunkSize);
      const referenceSDP = await play(c, path, reference);
      assert.equal(reference.chunkBuffers.size, chunks, 'without releases every chunk is fresh memory');
      const samePackets = (r: Recorder, what: string): void => {
        assert.equal(r.packets.length, reference.packets.length, what);
        for (let i = 0; i < reference.packets.length; i++) {
          if (!r.packets[i]!.equals(reference.packets[i]!)) assert.fail(`${what}: packet ${i} of ${reference.packets.length} differs from the one sent without reuse`);
        }
      };
      // Each run below reads a copy of the file: chunks of one file are shared by every source
      // reading it, and the reference run's held packets keep all of that file's chunks alive.
      const copy = (n: number): string => {
        const p = `${path}.${n}`;
        copyFileSync(path, p);
        return p;
      };
      // A sender that never holds: two chunk buffers take turns for the whole stream.
      const free = new Recorder(() => false, c.chunkSize);
      // The parameter sets the sink learnt in-band are its own copies, not views of reused chunks.
      assert.equal(await play(c, copy(1), free), referenceSDP);
      samePackets(free, 'never held');
      assert.ok(free.chunkBuffers.size <= 3, `${free.chunkBuffers.size} chunk buffers for ${chunks} chunks`);
      // Holds a few packets early on and a few in the middle (a busy socket now and then).
      const middle = Math.floor(reference.packets.length / 2);
      const recorder = new Recorder((i) => (i >= 100 && i < 110) || (i >= middle && i < middle + 3), c.chunkSize);
      assert.equal(await play(c, copy(2), recorder), referenceSDP);
      samePackets(recorder, 'some held');
      assert.ok(recorder.held.length >= 10, `${recorder.held.length} packets held`);
      for (const h of recorder.held) {
        assert.ok(Buffer.concat(h.chunks).equals(h.snapshot), `held packet ${h.index} was overwritten by a later chunk`);
      }
      // Reuse really happens: two buffers cycle, plus the chunks whose held packets keep them.
      assert.ok(recorder.chunkBuffers.size <= 5, `${recorder.chunkBuffers.size} chunk buffers for ${chunks} chunks`);
    });
  });
}

test('a consumer that keeps frames and never hands them back finds every one intact', async () => {
  await withTempDir(async (dir) => {
    for (const c of cases) {
      const path = longFile(dir, c.fixture, c.repeat);
      const kept: Uint8Array[] = [];
      const copies: Buffer[] = [];
      const source = await c.open(path);
      for await (const f of source) {
        kept.push(f.data);
        copies.push(Buffer.from(f.data));
      }
      assert.ok(kept.length > 1000);
      for (let i = 0; i < kept.length; i++) {
        if (!copies[i]!.equals(kept[i]!)) assert.fail(`${c.name}: frame ${i} of ${kept.length} changed after it was delivered`);
      }
    }
  });
});

/**
 * An Annex-B stream whose IDR slice is larger than two file chunks (1.3 MiB, no start code in it):
 * its middle chunk holds nothing but a piece of that slice, which the parser must keep until the
 * slice ends.
 */
function giantNalStream(): Buffer {
  const small = readFileSync(fixture('test.264'));
  const payload = Buffer.alloc(1_300_000);
  for (let i = 0; i < payload.length; i++) payload[i] = 1 + ((i * 131 + (i >> 9)) % 255); // never 0: no start code
  const idr = Buffer.concat([Buffer.from([0x65, 0x88]), payload]);
  return Buffer.concat([small, Buffer.from([0, 0, 0, 1]), idr, small]);
}

test('a consumer that hands each frame back at once gets the same bytes: NAL units over three chunks, TS packets across chunk ends', async () => {
  await withTempDir(async (dir) => {
    const h264 = join(dir, 'giant.264');
    const stream = giantNalStream();
    writeFileSync(h264, stream);
    // Five stray bytes first: every chunk then ends inside a packet (the framer resynchronises once).
    const ts = join(dir, 'shifted.ts');
    const packets = Buffer.concat(Array.from({ length: 60 }, () => readFileSync(fixture('test.ts'))));
    writeFileSync(ts, Buffer.concat([Buffer.from([1, 2, 3, 4, 5]), packets]));
    // What the frames must be, from the bytes themselves: the NAL units, and the packets in groups of 7.
    const tsFrames: Buffer[] = [];
    for (let o = 0; o < packets.length; o += 1316) tsFrames.push(packets.subarray(o, o + 1316));
    const inputs: [string, () => Promise<FramedSource>, Uint8Array[]][] = [
      ['H.264', () => H264VideoStreamFramer.open(h264), splitAnnexB(stream).map((n) => n.data)],
      ['MPEG-TS', () => MPEG2TransportStreamFramer.open(ts), tsFrames],
    ];
    for (const [name, open, reference] of inputs) {
      const source = await open();
      const got: Buffer[] = [];
      for (let f = await source.getNextFrame(); f; f = await source.getNextFrame()) {
        got.push(Buffer.from(f.data));
        f.owner?.releaseFrame(f);
      }
      source.close();
      assert.equal(got.length, reference.length, name);
      for (let i = 0; i < got.length; i++) {
        if (!got[i]!.equals(reference[i]!)) assert.fail(`${name}: frame ${i} of ${got.length} (${got[i]!.length} bytes) differs`);
      }
      if (name === 'H.264') assert.ok(got.some((f) => f.length > 1_000_000), 'the giant slice came through whole');
    }
  });
});

test('through a real UDP socket (a Groupsock as the sink\'s rtpInterface), recycled chunks give the packets a fresh-memory run gives', async () => {
  await withTempDir(async (dir) => {
    const tx = await Groupsock.create({ address: '127.0.0.1' });
    const rx = await Groupsock.create({ address: '127.0.0.1', recvBufferSize: 8 << 20 });
    try {
      const c = cases.find((k) => k.fixture === 'test.264')!;
      const path = longFile(dir, c.fixture, 150, c.parameterSet); // six chunks
      const reference = new Recorder(() => true, c.chunkSize);
      await play(c, path, reference);
      assert.ok(reference.packets.length > 3000);
      const got: Buffer[] = [];
      rx.on('packet', (data) => got.push(Buffer.from(data)));
      tx.addDestination('127.0.0.1', rx.port);
      const scheduler = new VirtualTaskScheduler();
      const source = await c.open(path);
      const sink = c.sink({ scheduler, rtpInterface: tx, payloadType: 96, ssrc: 0x1234, initialSequenceNumber: 0, initialTimestamp: 0 });
      // A frame period per step, so the receiver reads between the sends of a picture or two.
      await playOnVirtualClock(scheduler, sink, source, 40_000, 20_000);
      sink.close();
      source.close();
      const deadline = Date.now() + 5000;
      while (got.length < reference.packets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(got.length, reference.packets.length, 'every packet arrived (loopback)');
      for (let i = 0; i < got.length; i++) {
        if (!got[i]!.equals(reference.packets[i]!)) assert.fail(`packet ${i} of ${got.length} differs from the one sent without reuse`);
      }
    } finally {
      await Promise.all([tx.close(), rx.close()]);
    }
  });
});
