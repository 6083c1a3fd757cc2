// User enumeration: an unknown user must take the same code path as a known user with a wrong
// password, or the time of a 401 tells an attacker which user names exist. Timing itself is not
// measured (noisy, and no timed tests here): the test counts what the work is made of — the hashes
// computed (node:crypto createHash) and the constant-time comparisons (timingSafeEqual) — for Digest
// (MD5 and SHA-256, with and without qop) and for Basic, through the server's own RTSPAuthenticator
// and UserAuthenticationDatabase.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import { createDigestAuthorization, encodeBasicAuthorization, parseDigestChallenges } from '@dorsvr/livemedia';
import { RTSPAuthenticator, UserAuthenticationDatabase } from '@dorsvr/rtspserver';

const cjsCrypto = createRequire(import.meta.url)('node:crypto') as typeof crypto;

/** Runs `fn`, counting createHash and timingSafeEqual calls made anywhere (ESM named imports included). */
function countCrypto<T>(fn: () => T): { result: T; hashes: number; compares: number } {
  const { createHash, timingSafeEqual } = cjsCrypto;
  let hashes = 0;
  let compares = 0;
  cjsCrypto.createHash = ((...a: Parameters<typeof createHash>) => (hashes++, createHash(...a))) as typeof createHash;
  cjsCrypto.timingSafeEqual = ((...a: Parameters<typeof timingSafeEqual>) => (compares++, timingSafeEqual(...a))) as typeof timingSafeEqual;
  syncBuiltinESMExports();
  try {
    return { result: fn(), hashes, compares };
  } finally {
    cjsCrypto.createHash = createHash;
    cjsCrypto.timingSafeEqual = timingSafeEqual;
    syncBuiltinESMExports();
  }
}

for (const storeHashes of [false, true]) {
  test(`an unknown user costs the same hashes and constant-time comparisons as a known user with a wrong password (Digest MD5/SHA-256 with and without qop, Basic; storeHashes ${storeHashes})`, () => {
    const scheduler = new VirtualTaskScheduler();
    const db = new UserAuthenticationDatabase({ realm: 'r', storeHashes }).addUser('alice', 'secret');
    const auth = new RTSPAuthenticator(scheduler, { allowBasic: true });
    const uri = 'rtsp://127.0.0.1/cam';
    const request = { method: 'DESCRIBE', uri, clientAddress: '127.0.0.1' };
    for (const algorithm of ['SHA-256', 'MD5']) {
      for (const qop of [true, false]) {
        const header = (username: string, password: string): string => {
          const ch = parseDigestChallenges(auth.challenges(db, false, '127.0.0.1')).find((c) => c.algorithm === algorithm)!;
          if (!qop) ch.qop = [];
          return createDigestAuthorization({ challenge: ch, username, password, method: 'DESCRIBE', uri, cnonce: 'c0ffee' }).header;
        };
        const [known, unknown, right] = [header('alice', 'wrong'), header('mallory', 'wrong'), header('alice', 'secret')];
        const a = countCrypto(() => auth.verify(db, request, known));
        const b = countCrypto(() => auth.verify(db, request, unknown));
        const what = `${algorithm}${qop ? ' qop=auth' : ''}`;
        assert.deepEqual(a.result, { ok: false, status: 401, stale: false }, `${what}: wrong password refused`);
        assert.deepEqual(b.result, { ok: false, status: 401, stale: false }, `${what}: unknown user refused`);
        assert.ok(a.hashes > 0 && a.compares > 0, `${what}: the wrong password was hashed and compared`);
        assert.equal(b.hashes, a.hashes, `${what}: hashes for an unknown user (${b.hashes}) and a wrong password (${a.hashes})`);
        assert.equal(b.compares, a.compares, `${what}: comparisons for an unknown user (${b.compares}) and a wrong password (${a.compares})`);
        assert.equal(auth.verify(db, request, right).ok, true, `${what}: the right password still works`);
      }
    }
    const basic = (u: string, p: string): string => encodeBasicAuthorization(u, p);
    const a = countCrypto(() => auth.verify(db, request, basic('alice', 'wrong')));
    const b = countCrypto(() => auth.verify(db, request, basic('mallory', 'wrong')));
    assert.equal(a.result.ok, false);
    assert.equal(b.result.ok, false);
    assert.ok(a.hashes > 0 && a.compares > 0, `Basic: the wrong password was hashed and compared in constant time (${a.hashes} hashes, ${a.compares} comparisons)`);
    assert.equal(b.hashes, a.hashes, `Basic: hashes for an unknown user (${b.hashes}) and a wrong password (${a.hashes})`);
    assert.equal(b.compares, a.compares, `Basic: comparisons for an unknown user (${b.compares}) and a wrong password (${a.compares})`);
    assert.equal(auth.verify(db, request, basic('alice', 'secret')).ok, true, 'Basic: the right password still works');
    scheduler.close();
  });
}
