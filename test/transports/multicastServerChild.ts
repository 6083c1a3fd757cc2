// A child process for the multicast test, run inside the server's network namespace: our
// RTSPServer with multicast groups, serving test.264 as /gated, whose first PLAY waits for the
// second (both readers then see the stream from its first frame). Prints "LISTENING <port>", and
// "STREAM <address>" each time the track makes a stream (one shared stream for every multicast
// reader is what the test expects).
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ServerMediaSession, type ClientTransport } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../helpers/paths.js';
import { gatedH264Subsession } from '../rtspserver/helpers/fixtureServer.js';

const [host, groups] = process.argv.slice(2);
const scheduler = new BasicTaskScheduler();
const server = new RTSPServer({ scheduler, port: 0, host, multicast: { groups: groups! } });
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
