// GStreamer's rtspclientsink sends PAUSE when its pipeline goes to PAUSED, and when it plays again
// ANNOUNCE (the same SDP), SETUP of every track and RECORD on the same connection: our server
// pauses the published stream (the PAUSE is a publisher's, answered 200, the stream stays
// published, the reader keeps its session), takes the second ANNOUNCE and SETUP as the paused
// publisher's, and relays again after the RECORD.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { RTSPServer, type RTSPRequestContext, type RTSPResponse } from '@dorsvr/rtspserver';
import { findPeer } from '../../helpers/peers.js';
import { runPeer } from '../helpers/ffmpeg.js';
import { RawRTSPClient } from '../helpers/RawRTSPClient.js';

// A live test source published for 2.5 s, paused for 2.5 s, published again for 2.5 s, then EOS.
const SCRIPT = `
import sys, gi
gi.require_version('Gst', '1.0')
from gi.repository import Gst, GLib
Gst.init(None)
p = Gst.parse_launch('videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1 ! '
    'x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! h264parse ! '
    'rtspclientsink location=%s protocols=%s' % (sys.argv[1], sys.argv[2]))
loop = GLib.MainLoop()
def state(s, what):
    print(what, flush=True)
    p.set_state(s)
    return False
def eos():
    p.send_event(Gst.Event.new_eos())
    return False
def on_message(bus, m):
    if m.type in (Gst.MessageType.EOS, Gst.MessageType.ERROR):
        if m.type == Gst.MessageType.ERROR:
            print('ERROR', m.parse_error()[0].message, flush=True)
        loop.quit()
bus = p.get_bus()
bus.add_signal_watch()
bus.connect('message', on_message)
p.set_state(Gst.State.PLAYING)
GLib.timeout_add(2500, state, Gst.State.PAUSED, 'PAUSED')
GLib.timeout_add(5000, state, Gst.State.PLAYING, 'PLAYING')
GLib.timeout_add(7500, eos)
GLib.timeout_add(15000, loop.quit)
loop.run()
p.set_state(Gst.State.NULL)
print('DONE', flush=True)
`;

/** Notes when each publisher request was answered (ms, performance.now()). */
class WatchedServer extends RTSPServer {
  readonly log: Array<{ method: string; status: number; at: number; paused: boolean | undefined }> = [];
  protected override async handlePause(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const res = await super.handlePause(ctx);
    this.log.push({ method: 'PAUSE', status: res.status, at: performance.now(), paused: this.publishing?.streams.get('gst')?.paused });
    return res;
  }
  protected override async handleRecord(ctx: RTSPRequestContext): Promise<RTSPResponse> {
    const res = await super.handleRecord(ctx);
    this.log.push({ method: 'RECORD', status: res.status, at: performance.now(), paused: this.publishing?.streams.get('gst')?.paused });
    return res;
  }
}

for (const protocols of ['tcp', 'udp'] as const) {
  test(`GStreamer's rtspclientsink (${protocols}) pauses and resumes a publish: PAUSE 200 pauses the stream, RECORD resumes it, the reader gets packets before and after`, async () => {
    const scheduler = new BasicTaskScheduler();
    const server = new WatchedServer({ scheduler, port: 0, host: '127.0.0.1', publish: true });
    await server.listen();
    const url = `rtsp://127.0.0.1:${server.port}/gst`;
    const reader = await RawRTSPClient.connect(server.port);
    const arrivals: number[] = [];
    const publisherPauses: boolean[] = [];
    server.on('pause', (s) => publisherPauses.push(server.publishing!.isPublisherSession(s)));
    let readerSession: string | undefined;
    server.on('publish', () => {
      void (async () => {
        const rs = await reader.request('SETUP', `${url}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
        readerSession = rs.headers.session?.split(';')[0];
        await reader.request('PLAY', url, { Session: readerSession! });
      })();
    });
    // When each RTP packet (channel 0; the relay's RTCP on channel 1 goes on while paused) arrived.
    let seen = 0;
    reader.socket.on('data', () => {
      for (const n = reader.frames.get(0)?.length ?? 0; seen < n; seen++) arrivals.push(performance.now());
    });
    try {
      const r = await runPeer(findPeer('python3'), ['-c', SCRIPT, url, protocols], 30_000);
      
      assert.doesNotMatch(r.stdout, /ERROR/, `${r.stdout}\n${JSON.stringify(server.log)}\n${r.stderr.slice(-3000)}`);
      const pause = server.log.find((e) => e.method === 'PAUSE');
      assert.ok(pause, `no PAUSE reached the server: ${JSON.stringify(server.log)}`);
      assert.equal(pause.status, 200);
      assert.equal(pause.paused, true, 'the stream is paused after the PAUSE');
      // (rtspclientsink pauses once more on its way down, before TEARDOWN.)
      assert.ok(publisherPauses.length >= 1 && publisherPauses.every(Boolean), `pause events: ${JSON.stringify(publisherPauses)}`);
      const resume = server.log.find((e) => e.method === 'RECORD' && e.at > pause.at);
      assert.ok(resume, `no RECORD after the PAUSE: ${JSON.stringify(server.log)}`);
      assert.equal(resume.status, 200);
      assert.equal(resume.paused, false, 'RECORD resumed the stream');
      assert.ok(readerSession !== undefined);
      const before = arrivals.filter((t) => t < pause.at).length;
      const after = arrivals.filter((t) => t > resume.at + 200).length;
      assert.ok(before > 10, `${before} RTP packets to the reader before the PAUSE`);
      assert.ok(after > 10, `${after} RTP packets to the reader after the RECORD`);
      // While paused (after the PAUSE had taken effect and before the RECORD), nothing was relayed.
      const during = arrivals.filter((t) => t > pause.at + 200 && t < resume.at).length;
      assert.equal(during, 0, `${during} RTP packets to the reader while the publisher was paused`);
    } finally {
      reader.close();
      await server.close();
      scheduler.close();
    }
  });
}
