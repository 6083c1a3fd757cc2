// A background error of the client (here: the server drops the connection carrying interleaved
// streams) with no 'error' listener becomes a process warning instead of vanishing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { RTSPClient } from '@dorsvr/rtspclient';
import { FakeRTSPServer, pcmuSDP, type FakeAnswer } from './FakeRTSPServer.js';

async function droppingServer(): Promise<FakeRTSPServer> {
  const fake = await FakeRTSPServer.start((req, conn): FakeAnswer => {
    switch (req.method) {
      case 'DESCRIBE':
        return { status: 200, headers: { 'Content-Type': 'application/sdp' }, body: pcmuSDP() };
      case 'SETUP':
        return { status: 200, headers: { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1', Session: '1234;timeout=60' } };
      case 'PLAY':
        setTimeout(() => conn.socket.destroy(), 50);
        return { status: 200, headers: { Session: '1234' } };
      default:
        return { status: 200, headers: { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' } };
    }
  });
  return fake;
}

/** Play, then wait (bounded) until `done()` says the loss was reported. */
async function playUntilDropped(client: RTSPClient, done: () => boolean): Promise<void> {
  const session = await client.describe();
  await client.setup(session.subsessions[0]!);
  await client.play();
  for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  await tick();
  await tick();
}

test('the connection carrying the streams is lost and nobody listens for errors: a process warning says so', async () => {
  const fake = await droppingServer();
  const client = new RTSPClient(fake.url('s'), { transport: 'tcp' });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    await playUntilDropped(client, () => warnings.length > 0);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.name, 'DorsvrWarning');
    assert.match(warnings[0]!.message, /RTSPClient error .*no 'error' listener.*closed the connection/);
  } finally {
    process.off('warning', onWarning);
    await client.close();
    await fake.close();
  }
});

test('with an error listener, the listener gets it and there is no warning', async () => {
  const fake = await droppingServer();
  const client = new RTSPClient(fake.url('s'), { transport: 'tcp' });
  const heard: unknown[] = [];
  client.on('error', (e) => heard.push(e));
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    await playUntilDropped(client, () => heard.length > 0);
    assert.equal(heard.length, 1);
    assert.equal(warnings.length, 0);
  } finally {
    process.off('warning', onWarning);
    await client.close();
    await fake.close();
  }
});
