// A child process for the multicast test, run inside the server's network namespace: our
// RTSPServer with multicast groups, serving test.264 as /gated, whose first PLAY waits for the
// second (both readers then see the stream from its first frame). Prints "LISTENING <port>", and
// "STREAM <address>" each time the track makes a stream (one shared stream for every multicast
// reader is what the test expects). With a third argument `passive`, it serves /passive instead:
// test.264 sent in a loop to 239.255.43.1:19000 (or the group of a fourth argument) through a
// PassiveServerMediaSubsession, whose SDP names the source of a fifth argument, if any.
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { Groupsock } from '@dorsvr/groupsock';
import { H264VideoRTPSink, H264VideoStreamFramer, PassiveServerMediaSubsession, ServerMediaSession, type ClientTransport } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../helpers/paths.js';
import { gatedH264Subsession } from '../rtspserver/helpers/fixtureServer.js';

const [host, groups, mode, passiveGroup = '239.255.43.1', passiveSource] = process.argv.slice(2);
const scheduler = new BasicTaskScheduler();
const server = new RTSPServer({ scheduler, port: 0, host, multicast: mode === 'passive' ? undefined : { groups: groups! } });
if (mode === 'passive') {
  const gs = await Groupsock.create({ address: host, multicastInterface: host, multicastTTL: 1 });
  gs.addDestination(passiveGroup, 19000);
  const sink = new H264VideoRTPSink({ scheduler, rtpInterface: gs, payloadType: 96 });
  void (async () => {
    for (let loop = 0; loop < 20; loop++) await sink.startPlaying(await H264VideoStreamFramer.open(fixture('test.264')));
  })();
  // The SDP's fmtp line needs the parameter sets the sink has seen.
  await new Promise((r) => setTimeout(r, 300));
  server.addServerMediaSession(
    new ServerMediaSession('passive').addSubsession(new PassiveServerMediaSubsession(sink, { scheduler, group: passiveGroup, rtpPort: 19000, ttl: 1, source: passiveSource })),
  );
}
const Gated = gatedH264Subsession(2);
class Counted extends Gated {
  override async getStreamParameters(id: string, transport: ClientTransport) {
    process.stdout.write(`STREAM ${transport.mode === 'udp' ? `${transport.clientAddress}:${transport.clientRTPPort}` : 'tcp'}\n`);
    return super.getStreamParameters(id, transport);
  }
}
server.addServerMediaSession(new ServerMediaSession('gated').addSubsession(new Counted(fixture('test.264'), { scheduler })));
server.on('error', (err) => process.stderr.write(`error: ${String(err)}\n`));
await server.listen();
process.stdout.write(`LISTENING ${server.port}\n`);
// Never outlive the test.
setTimeout(() => void server.close().then(() => process.exit(0)), 40_000);
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
process.stdin.resume();
