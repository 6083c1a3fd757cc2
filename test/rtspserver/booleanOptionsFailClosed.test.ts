// Fail closed: an option that lowers security when true (Basic authentication, which sends the
// password in clear; UDP media next to an RTSPS connection; POSTs of a tunnel from any address) is
// taken only as a real boolean: 'false' from a config file or an environment variable, 1, or 'no'
// is refused loudly instead of being truthy. So is one that raises it (requireDigestQop): a 'true'
// that would quietly mean false is refused too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualTaskScheduler, isDorsvrError } from '@dorsvr/scheduler';
import { RTSPAuthenticator, RTSPServer, type RTSPServerOptions } from '@dorsvr/rtspserver';

test('RTSPServer refuses a non-boolean allowBasicAuth, allowUDPWithTLS, httpTunnelPostFromAnyAddress or requireDigestQop (ERR_SERVER_OPTION); booleans and undefined are fine', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const name of ['allowBasicAuth', 'allowUDPWithTLS', 'httpTunnelPostFromAnyAddress', 'requireDigestQop'] as const) {
    for (const bad of ['false', 'no', 1, 0, null]) {
      assert.throws(
        () => new RTSPServer({ scheduler, port: 0, [name]: bad } as unknown as RTSPServerOptions),
        (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && e.message.includes(name),
        `${name}: ${JSON.stringify(bad)}`,
      );
    }
    for (const good of [true, false, undefined]) void new RTSPServer({ scheduler, port: 0, [name]: good }).close();
  }
  scheduler.close();
});

test('RTSPAuthenticator refuses a non-boolean requireQop: a string "true" does not quietly leave qop optional', () => {
  const scheduler = new VirtualTaskScheduler();
  for (const bad of ['true', 1, null]) {
    assert.throws(
      () => new RTSPAuthenticator(scheduler, { requireQop: bad as unknown as boolean }),
      (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && /requireQop/.test(e.message),
    );
  }
  scheduler.close();
});

test('RTSPAuthenticator refuses a non-boolean allowBasic: a string "false" never turns Basic on', () => {
  const scheduler = new VirtualTaskScheduler();
  assert.throws(
    () => new RTSPAuthenticator(scheduler, { allowBasic: 'false' as unknown as boolean }),
    (e: unknown) => isDorsvrError(e, 'ERR_SERVER_OPTION') && /allowBasic/.test(e.message),
  );
  scheduler.close();
});
