// A shared (reuseFirstSource) stream serves IPv4 and IPv6 clients at once (issue #11: it bound
// udp4 only and IPv6 sends were dropped silently). Real UDP over 127.0.0.1 and ::1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ADTSAudioFileServerMediaSubsession, ServerMediaSession, parseRTPHeader } from '@dorsvr/livemedia';
import { fixture } from '../../helpers/paths.js';

function bind(type: 'udp4' | 'udp6', address: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(type);
    s.once('error', () => {
      s.close();
      resolve(undefined);
    });
    s.bind(0, address, () => resolve(s));
  });
}

test('a shared stream sends to an IPv4 client and an IPv6 client (::1) from sockets of each family; without IPv6 the IPv6 SETUP fails clearly', async () => {
  const scheduler = new BasicTaskScheduler();
  const sub = new ADTSAudioFileServerMediaSubsession(fixture('test.aac'), { scheduler, reuseFirstSource: true });
  new ServerMediaSession('shared').addSubsession(sub);
  const v4 = await bind('udp4', '127.0.0.1');
  const v6 = await bind('udp6', '::1');
  assert.ok(v4, 'an IPv4 loopback socket');
  try {
    const got4: number[] = [];
    const got6: number[] = [];
    v4.on('message', (m) => got4.push(parseRTPHeader(m).ssrc));
    v6?.on('message', (m) => got6.push(parseRTPHeader(m).ssrc));
    const s4 = await sub.getStreamParameters('a', { mode: 'udp', clientAddress: '127.0.0.1', clientRTPPort: v4.address().port, clientRTCPPort: v4.address().port + 1 });
    if (!v6) {
      // No IPv6 on this machine: say so with an RTSP status, not a silent stream.
      await assert.rejects(
        sub.getStreamParameters('b', { mode: 'udp', clientAddress: '::1', clientRTPPort: 5000, clientRTCPPort: 5001 }),
        (e: Error & { status?: number }) => e.status === 453,
      );
      return;
    }
    const s6 = await sub.getStreamParameters('b', { mode: 'udp', clientAddress: '::1', clientRTPPort: v6.address().port, clientRTCPPort: v6.address().port + 1 });
    assert.equal(s4.ssrc, s6.ssrc, 'one shared stream');
    assert.ok(s6.serverRTPPort !== undefined && s4.serverRTPPort !== undefined);
    await sub.startStream(s4);
    await sub.startStream(s6);
    const deadline = Date.now() + 5000;
    while ((got4.length < 10 || got6.length < 10) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(got4.length >= 10, `${got4.length} packets over IPv4`);
    assert.ok(got6.length >= 10, `${got6.length} packets over IPv6`);
    assert.ok(got6.every((ssrc) => ssrc === s4.ssrc) && got4.every((ssrc) => ssrc === s4.ssrc));
    sub.deleteStream(s4);
    sub.deleteStream(s6);
  } finally {
    sub.close();
    v4.close();
    v6?.close();
    scheduler.close();
  }
});
