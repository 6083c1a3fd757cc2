// A ServerMediaSession's authDatabase is checked structurally at construction and on assignment:
// anything that is not a usable database is refused loudly, never served without credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ServerMediaSession, checkAuthenticationDatabase, computeDigestHA1, isAuthenticationDatabase, type AuthenticationDatabase, type ServerDigestAlgorithm } from '@dorsvr/livemedia';
import { UserAuthenticationDatabase } from '@dorsvr/rtspserver';

/** A database that is not a UserAuthenticationDatabase (another copy of the package, or the user's own). */
const ducktyped: AuthenticationDatabase = {
  realm: 'own',
  ha1: (u: string, a: ServerDigestAlgorithm) => (u === 'eve' ? computeDigestHA1(a, u, 'own', 'pw') : undefined),
  checkPassword: (u: string, p: string) => u === 'eve' && p === 'pw',
};

const wrong: Array<[string, unknown]> = [
  ['a Map of users', new Map([['alice', 'secret']])],
  ['a plain object of users', { alice: 'secret' }],
  ['an object with a realm but no methods', { realm: 'r', users: { alice: 'secret' } }],
  ['an object missing checkPassword', { realm: 'r', ha1: () => undefined }],
  ['a realm that is not a string', { realm: 7, ha1: () => undefined, checkPassword: () => false }],
  ['a realm with a quote', { realm: 'a"b', ha1: () => undefined, checkPassword: () => false }],
  ['a realm with a line break', { realm: 'a\r\nWWW-Authenticate: Basic', ha1: () => undefined, checkPassword: () => false }],
  ['null', null],
  ['a string', 'alice:secret'],
  ['true', true],
];

test('a per-stream authDatabase of the wrong type is refused at construction with ERR_AUTH_DATABASE', () => {
  for (const [what, value] of wrong) {
    assert.throws(
      () => new ServerMediaSession('s', { authDatabase: value as AuthenticationDatabase }),
      (e: unknown) => isDorsvrError(e, 'ERR_AUTH_DATABASE') && /ServerMediaSession authDatabase/.test(e.message),
      what,
    );
    assert.equal(isAuthenticationDatabase(value), false, what);
  }
  assert.throws(() => new ServerMediaSession('s', { authDatabase: new Map() as never }), /not a Map/);
  assert.throws(() => new ServerMediaSession('s', { authDatabase: { realm: 'r' } as never }), /without ha1\(\), checkPassword\(\)/);
});

test('assigning a wrong authDatabase throws and keeps the database that was there; undefined removes it', () => {
  const db = new UserAuthenticationDatabase({ realm: 'r' }).addUser('bob', 'pw');
  const sms = new ServerMediaSession('s', { authDatabase: db });
  assert.equal(sms.authDatabase, db);
  for (const [what, value] of wrong) {
    assert.throws(() => (sms.authDatabase = value as AuthenticationDatabase), (e: unknown) => isDorsvrError(e, 'ERR_AUTH_DATABASE'), what);
    assert.equal(sms.authDatabase, db, `${what}: still protected`);
  }
  sms.authDatabase = undefined;
  assert.equal(sms.authDatabase, undefined);
  assert.equal(new ServerMediaSession('open').authDatabase, undefined);
});

test('any object with realm, ha1() and checkPassword() is accepted: a UserAuthenticationDatabase, a duck-typed one, a subclass', () => {
  class Audited extends UserAuthenticationDatabase {}
  for (const db of [new UserAuthenticationDatabase(), ducktyped, new Audited({ realm: 'a' }), Object.create(ducktyped) as AuthenticationDatabase]) {
    assert.equal(new ServerMediaSession('s', { authDatabase: db }).authDatabase, db);
    assert.equal(checkAuthenticationDatabase(db, 'x'), db);
  }
  assert.equal(checkAuthenticationDatabase(undefined, 'x'), undefined);
});
