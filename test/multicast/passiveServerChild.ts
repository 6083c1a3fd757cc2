// A child process of serverMulticast.test.ts, run inside the test's network namespace: an
// RTSPServer (no `multicast` option) with one PassiveServerMediaSubsession, `live`, whose H.264
// stream (test.264, played once when "go" arrives on stdin) an RTP sink sends to GROUP through a
// Groupsock on 127.0.0.1 (interface set explicitly). Prints READY, SESSION per session created,
// and SENT <sink packets> <datagrams sent> once the file is sent (then an RTCP BYE goes out).
import { createInterface } from 'node:readline';
import { Groupsock } from '@dorsvr/groupsock';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { H264VideoRTPSink, H264VideoStreamFramer, PassiveServerMediaSubsession, RTCPInstance, ServerMediaSession } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';

const [portArg, group, file] = process.argv.slice(2);
const iface = '127.0.0.1';
const RTP_PORT = 22000;
const lifetime = setTimeout(() => process.exit(3), 60_000); // bounded, whatever the parent does
const scheduler = new BasicTaskScheduler();
const common = { type: 'udp4', multicastTTL: 1, multicastInterface: iface, multicastLoopback: true } as const;
const rtpSock = await Groupsock.create({ ...common, address: iface, destinations: [{ address: group!, port: RTP_PORT }] });
const rtcpSock = await Groupsock.create({ ...common, port: RTP_PORT + 1, reuseAddr: true, destinations: [{ address: group!, port: RTP_PORT + 1 }] });
rtcpSock.joinGroup(group!, iface);
const framer = await H264VideoStreamFramer.open(file!);
const sink = new H264VideoRTPSink({ scheduler, rtpInterface: rtpSock, payloadType: 96, sps: framer.sps, pps: framer.pps, aggregateParameterSets: true });
const rtcp = new RTCPInstance({ scheduler, rtcpInterface: rtcpSock, sink, cname: 'passive@dorsvr' });
const sub = new PassiveServerMediaSubsession({
  scheduler,
  sink,
  rtcp,
  delivery: { group: group!, rtpPort: RTP_PORT, rtcpPort: RTP_PORT + 1, ttl: 1, source: iface },
});
const server = new RTSPServer({ scheduler, port: Number(portArg), host: iface });
server.addServerMediaSession(new ServerMediaSession('live').addSubsession(sub));
server.on('sessionCreated', () => process.stdout.write('SESSION\n'));
await server.listen();
process.stdout.write('READY\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'go') {
    void sink.startPlaying(framer).then(() => {
      process.stdout.write(`SENT ${sink.packetCount} ${rtpSock.packetsSent}\n`);
      // Its BYE ends players: let the last RTP packets land first (RTCP has its own socket and could
      // overtake them), as the on-demand server does.
      setTimeout(() => rtcp.close(), 1000);
    });
  } else if (line === 'quit') {
    clearTimeout(lifetime);
    void server.close().then(async () => {
      sink.close();
      framer.close();
      await Promise.all([rtpSock.close(), rtcpSock.close()]);
      scheduler.close();
      process.exit(0);
    });
  }
});
