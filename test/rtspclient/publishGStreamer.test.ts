// Our client publishing into GStreamer's RTSP server (gst-rtsp-server through python3-gi) in
// RECORD mode: its depayloaders and parsers write what they receive to files, read by ffprobe and
// compared with the sources. Also Digest authentication (401, then accepted) on a record mount.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RTSPClientError } from '@dorsvr/rtspclient';
import { fixture } from '../helpers/paths.js';
import { annexBNalUnits, wavParts } from '../helpers/mediaFiles.js';
import { tempDir } from '../helpers/tempDir.js';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gstRtspServer.js';
import { probe } from '../rtspserver/helpers/ffmpeg.js';
import { publishFile } from './publishHelpers.js';

/** The receiving bin per file type (its depayloader is depay0), writing to `out`. */
const RECEIVERS: Record<string, (out: string) => string> = {
  '264': (o) => `( rtph264depay name=depay0 ! h264parse ! video/x-h264,stream-format=byte-stream,alignment=au ! filesink location=${o} )`,
  '265': (o) => `( rtph265depay name=depay0 ! h265parse ! video/x-h265,stream-format=byte-stream,alignment=au ! filesink location=${o} )`,
  aac: (o) => `( rtpmp4gdepay name=depay0 ! aacparse ! audio/mpeg,stream-format=adts ! filesink location=${o} )`,
  mp3: (o) => `( rtpmpadepay name=depay0 ! mpegaudioparse ! filesink location=${o} )`,
  wav: (o) => `( rtpL16depay name=depay0 ! audioconvert ! audio/x-raw,format=S16LE ! wavenc ! filesink location=${o} )`,
  ts: (o) => `( rtpmp2tdepay name=depay0 ! filesink location=${o} )`,
};
const USER = 'pub';
const PASS = 'se:cret';

let gst: GstRtspServer;
let gstAuth: GstRtspServer;
const tmp = tempDir();
const out = (mount: string, ext: string): string => join(tmp.dir, `${mount}.${ext}`);

before(async () => {
  const records: Record<string, string> = {};
  for (const transport of ['udp', 'tcp']) {
    for (const [ext, bin] of Object.entries(RECEIVERS)) records[`/${ext}-${transport}`] = bin(out(`${ext}-${transport}`, ext));
    records[`/rr-${transport}`] = RECEIVERS.aac!(out(`rr-${transport}`, 'aac'));
  }
  [gst, gstAuth] = await Promise.all([
    startGstRtspServer({ mounts: {}, records }),
    startGstRtspServer({ mounts: {}, records: { '/auth': RECEIVERS['264']!(out('auth', '264')) }, digest: { username: USER, password: PASS } }),
  ]);
});

after(async () => {
  await Promise.all([gst?.stop(), gstAuth?.stop()]);
  tmp.cleanup();
});

/**
 * Checks the NAL units GStreamer wrote against the file's: the same pictures and SEI, in order;
 * its parser adds access unit delimiters and repeats parameter sets, which must be the file's.
 */
function checkNalUnits(written: string, source: string, h265: boolean): void {
  const type = (n: Uint8Array): number => (h265 ? (n[0]! >> 1) & 0x3f : n[0]! & 0x1f);
  const aud = h265 ? 35 : 9;
  const sets = h265 ? [32, 33, 34] : [7, 8];
  const split = (file: string): { sets: string[]; rest: string[] } => {
    const nals = annexBNalUnits(readFileSync(file)).filter((n) => type(n) !== aud);
    return {
      sets: nals.filter((n) => sets.includes(type(n))).map((n) => n.toString('hex')),
      rest: nals.filter((n) => !sets.includes(type(n))).map((n) => n.toString('hex')),
    };
  };
  const w = split(written);
  const s = split(source);
  assert.equal(w.rest.length, s.rest.length, 'slice and SEI NAL units');
  const differ = w.rest.findIndex((n, i) => n !== s.rest[i]);
  assert.equal(differ, -1, `NAL unit ${differ} differs`);
  const known = new Set(s.sets);
  assert.ok(w.sets.length > 0 && w.sets.every((n) => known.has(n)), 'parameter sets are the file\'s');
}

describe("our client publishes into GStreamer's RTSP server (record mode)", { concurrency: 3 }, () => {
  for (const transport of ['udp', 'tcp'] as const) {
    for (const ext of Object.keys(RECEIVERS)) {
      it(`test.${ext} over ${transport}: GStreamer's depayloader writes what the file holds`, async () => {
        const mount = `${ext}-${transport}`;
        const source = fixture(`test.${ext}`);
        const written = out(mount, ext);
        const { publication } = await publishFile(gst.url(mount), source, { transport });
        await gst.waitUnprepared(`/${mount}`);
        const track = publication.session.tracks[0]!;
        assert.ok(track.stats.packetsSent > 0);
        const [pw, ps] = await Promise.all([probe(written), probe(source)]);
        assert.deepEqual(
          [pw.codec, pw.width, pw.height, pw.sampleRate, pw.channels],
          [ps.codec, ps.width, ps.height, ps.sampleRate, ps.channels],
          `ffprobe: codec, geometry, rate, channels\n${gst.stderr().slice(-2000)}`,
        );
        if (ext === '264' || ext === '265') {
          checkNalUnits(written, source, ext === '265');
          assert.equal(pw.frames, ps.frames);
        } else if (ext === 'ts') {
          assert.equal(Buffer.compare(readFileSync(written), readFileSync(source)), 0, 'the TS byte for byte');
        } else if (ext === 'wav') {
          assert.equal(Buffer.compare(wavParts(written).data, wavParts(source).data), 0, 'the same samples');
        } else {
          assert.equal(pw.frames, ps.frames, 'ffprobe packets');
        }
      });
    }
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`over ${transport}: GStreamer's RTCP receiver reports about our stream reach the track (looping until one came)`, async () => {
      const reports: Array<{ fractionLost: number; sourceSSRC: number }> = [];
      const { publication } = await publishFile(gst.url(`rr-${transport}`), fixture('test.aac'), {
        transport,
        loop: true,
        until: (p) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no receiver report within 15 s')), 15_000);
            p.session.tracks[0]!.once('rr', (r) => {
              clearTimeout(timer);
              reports.push(r);
              resolve();
            });
          }),
      });
      const track = publication.session.tracks[0]!;
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.fractionLost, 0);
      assert.ok(track.stats.receiverReports >= 1);
      assert.ok(track.stats.cumulativeLost !== undefined && track.stats.cumulativeLost <= 0, `lost ${track.stats.cumulativeLost}`);
      await gst.waitUnprepared(`/rr-${transport}`);
    });
  }

  it('Digest: ANNOUNCE is answered 401, the client answers the challenge, and the publish goes through', async () => {
    const { client, publication } = await publishFile(gstAuth.url('auth').replace('rtsp://', `rtsp://${USER}:${encodeURIComponent(PASS)}@`), fixture('test.264'), { transport: 'tcp' });
    assert.equal(client.authScheme, 'Digest');
    await gstAuth.waitUnprepared('/auth');
    const [pw, ps] = await Promise.all([probe(out('auth', '264')), probe(fixture('test.264'))]);
    assert.deepEqual([pw.codec, pw.frames], [ps.codec, ps.frames]);
    assert.ok(publication.stats.packetsSent > 0);
  });

  it('wrong credentials: the publish rejects with the 401', async () => {
    await assert.rejects(
      publishFile(gstAuth.url('auth'), fixture('test.264'), { client: { username: USER, password: 'wrong' } }),
      (err: unknown) => err instanceof RTSPClientError && err.code === 'ERR_RTSP_STATUS' && err.status === 401 && err.method === 'ANNOUNCE',
    );
  });
});
