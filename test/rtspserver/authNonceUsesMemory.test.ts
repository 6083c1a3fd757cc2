// Without qop, a nonce authorizes each (method, uri) once, so the server remembers which it has
// authorized: a peer with valid credentials chooses those uris (up to a request line each), for up to
// 16 per nonce and as many nonces as are remembered (10000). What is remembered per use must not grow
// with the uri's length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { RTSPAuthenticator, UserAuthenticationDatabase } from '@dorsvr/rtspserver';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('nonces used without qop for many long uris: the memory kept does not grow with the uris', () => {
  const scheduler = new VirtualTaskScheduler();
  const auth = new RTSPAuthenticator(scheduler);
  const db = new UserAuthenticationDatabase({ realm: 'r' }).addUser('alice', 'pw');
  const ha1 = md5('alice:r:pw');
  const NONCES = 200;
  const USES = 16;
  const path = 'a'.repeat(7000); // a request line stays under 8 KiB
  gc();
  const before = process.memoryUsage().heapUsed;
  let accepted = 0;
  for (let i = 0; i < NONCES; i++) {
    const nonce = /nonce="([^"]*)"/.exec(auth.challenges(db)[1]!)![1]!;
    for (let j = 0; j < USES; j++) {
      const uri = `rtsp://h/${path}${i}x${j}`;
      const response = md5(`${ha1}:${nonce}:${md5(`DESCRIBE:${uri}`)}`);
      const header = `Digest username="alice", realm="r", nonce="${nonce}", uri="${uri}", response="${response}"`;
      if (auth.verify(db, { method: 'DESCRIBE', uri }, header).ok) accepted++;
    }
  }
  gc();
  const grew = process.memoryUsage().heapUsed - before;
  assert.equal(accepted, NONCES * USES, 'every (method, uri) was authorized once (the case under test)');
  // 3200 uses of ~7 KB uris are 22 MB of text; a digest of each is ~0.2 MB.
  assert.ok(grew < 6 * 1024 * 1024, `the authenticator kept ${(grew / 1048576).toFixed(1)} MiB for ${accepted} uses`);
  scheduler.close();
});
