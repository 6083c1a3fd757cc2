// The client CLIs take every URL scheme the library does (issue #14): dorsvr-client,
// dorsvr-publish and dorsvr-proxy against real servers over rtsps:// (our dorsvr-server with
// --tls-cert/--tls-key, GStreamer's RTSP server over TLS), rtspsh:// (our server's HTTPS tunnel)
// and rtsph:// (its HTTP tunnel). TLS fails closed: a self-signed certificate is refused unless
// --ca names it (or --insecure is given), and the refusal says how to trust it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDorsvrError } from '@dorsvr/scheduler';
import { ProxyServerMediaSession, RTSPClient, parseClientArgs, parseProxyArgs, parsePublishArgs, type ClientArgs } from '@dorsvr/rtspclient';
import { fixture, repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tempDir.js';
import { makeTestCertificate, type TestCertificate } from '../helpers/tlsCertificate.js';
import { startGstRtspServer } from '../helpers/gstRtspServer.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { checkRecording, RECORDED_NAME, startCLI } from './clientCLI.js';
import { within } from './helpers.js';

const SERVER_CLI = join(repoRoot, 'packages', 'rtspserver', 'dist', 'cli.js');
const PUBLISH_CLI = join(repoRoot, 'packages', 'rtspclient', 'dist', 'publishCLI.js');
const PROXY_CLI = join(repoRoot, 'packages', 'proxyserver', 'dist', 'cli.js');

/** A dorsvr-server (or dorsvr-proxy) child in --json mode: its JSON lines as they come. */
interface JSONChild {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>>;
  /** Resolves with the first line `match` accepts (rejects after `timeoutMs`). */
  waitFor(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function startJSONChild(cli: string, args: readonly string[]): JSONChild {
  const child = spawn(process.execPath, [cli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let buf = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    lines,
    async waitFor(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find(match);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${cli}: no such line in ${JSON.stringify(lines)}\nstderr: ${stderr}`);
        await new Promise<void>((resolve) => {
          const w = (): void => {
            waiters.delete(w);
            resolve();
          };
          waiters.add(w);
          setTimeout(w, 50);
        });
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const tmp = tempDir();
let cert: TestCertificate;
/** dorsvr-server over TLS, with its HTTPS tunnel port, accepting publishers as pub:lish. */
let tlsServer: JSONChild;
/** dorsvr-server in plain RTSP, with its HTTP tunnel port, accepting publishers. */
let plainServer: JSONChild;
let tlsPort = 0;
let httpsPort = 0;
let plainPort = 0;
let httpPort = 0;

before(async () => {
  cert = makeTestCertificate();
  tlsServer = startJSONChild(SERVER_CLI, [fixture(''), '--port', '0', '--host', '127.0.0.1', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--http-port', '0', '--publish', '--status', '0']);
  plainServer = startJSONChild(SERVER_CLI, [fixture(''), '--port', '0', '--host', '127.0.0.1', '--http-port', '0', '--publish', '--status', '0']);
  const [a, b] = await Promise.all([tlsServer.waitFor((l) => l.type === 'listening'), plainServer.waitFor((l) => l.type === 'listening')]);
  tlsPort = a.port as number;
  httpsPort = a.httpPort as number;
  plainPort = b.port as number;
  httpPort = b.httpPort as number;
  assert.ok(tlsPort > 0 && httpsPort > 0 && plainPort > 0 && httpPort > 0, JSON.stringify([a, b]));
});

after(async () => {
  await tlsServer?.stop();
  await plainServer?.stop();
  cert?.cleanup();
  tmp.cleanup();
});

let dirs = 0;
function outDir(): string {
  const d = join(tmp.dir, `out${++dirs}`);
  mkdirSync(d);
  return d;
}

test('parsers: every scheme the library takes, --ca read and checked, --ca and --insecure exclusive; other schemes refused', () => {
  const pem = join(tmp.dir, 'ca.pem');
  writeFileSync(pem, cert.cert);
  const notPem = join(tmp.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  for (const url of ['rtsp://h/x', 'rtsps://h/x', 'rtsph://h/x', 'rtspsh://h/x', 'RTSPS://[::1]:8322/x']) {
    const c = parseClientArgs([url]) as ClientArgs;
    assert.equal(typeof c, 'object', `${url}: ${String(c)}`);
    assert.deepEqual(c.tls, {}, 'by default: Node\'s CAs, verified');
    assert.equal(typeof parsePublishArgs([fixture('test.264'), url]), 'object', url);
    assert.equal(typeof parseProxyArgs([url]), 'object', url);
  }
  const withCA = parseClientArgs(['rtsps://h/x', '--ca', pem]) as ClientArgs;
  assert.deepEqual(withCA.tls, { ca: [cert.cert.trim()] });
  assert.deepEqual((parseClientArgs(['rtsps://h/x', '-k']) as ClientArgs).tls, { rejectUnauthorized: false });
  assert.deepEqual((parseClientArgs(['rtsps://h/x', '--insecure']) as ClientArgs).tls, { rejectUnauthorized: false });
  // The user name for --password-env comes from any scheme's URL.
  assert.equal((parseClientArgs(['rtsps://al%20ice@h/x', '--password-env', 'PW'], { PW: 'pw' }) as ClientArgs).username, 'al ice');
  for (const parse of [(a: string[]) => parseClientArgs(a), (a: string[]) => parsePublishArgs([fixture('test.264'), ...a]), (a: string[]) => parseProxyArgs(a)]) {
    assert.match(parse(['http://h/x']) as string, /"http:\/\/h\/x" is not an rtsp:\/\/ URL \(nor rtsps:\/\/, rtsph:\/\/, rtspsh:\/\/\)/);
    assert.match(parse(['rtsps://h/x', '--ca', join(tmp.dir, 'missing.pem')]) as string, /^--ca: cannot read .*missing\.pem \(ENOENT\)$/);
    assert.match(parse(['rtsps://h/x', '--ca', notPem]) as string, /^--ca: .*not\.pem holds no PEM certificate/);
    assert.match(parse(['rtsps://h/x', '--ca', pem, '-k']) as string, /^--ca and --insecure exclude each other/);
  }
});

test('ProxyServerMediaSession takes rtsps://, rtsph://, rtspsh:// back-ends (the URL players see has no userinfo) and refuses other schemes', () => {
  for (const scheme of ['rtsp', 'rtsps', 'rtsph', 'rtspsh']) {
    const p = new ProxyServerMediaSession('s', `${scheme}://u:p@127.0.0.1:1/x`, { tls: { ca: cert.cert } });
    assert.equal(p.url, `${scheme}://127.0.0.1:1/x`);
    p.close();
  }
  assert.throws(() => new ProxyServerMediaSession('s', 'http://127.0.0.1/x'), (err: unknown) => isDorsvrError(err) && err.code === 'ERR_PROXY_URL');
});

test('--help of each CLI lists --ca and --insecure with their defaults and the URL schemes', async () => {
  for (const cli of [join(repoRoot, 'packages', 'rtspclient', 'dist', 'cli.js'), PUBLISH_CLI, PROXY_CLI]) {
    const h = await runPeer(process.execPath, [cli, '--help'], 10_000);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /--ca <file> +.*PEM.*\(default: Node's CA store\)/, cli);
    assert.match(h.stdout, /-k, --insecure +.*do not verify.*\(default: off: a certificate that does not verify is refused\)/, cli);
    assert.match(h.stdout, /rtsps:\/\/ \(RTSP over TLS, port 322\), rtsph:\/\/ \(RTSP\s+tunnelled over HTTP, port 80\), rtspsh:\/\/ \(over HTTPS, port 443\)/, cli);
  }
});

test('dorsvr-client records over rtsps:// with --ca (every NAL unit); refuses the certificate without it (exit 1, says how to trust it); --insecure plays', async () => {
  const ca = join(tmp.dir, 'client-ca.pem');
  writeFileSync(ca, cert.cert);
  const url = `rtsps://127.0.0.1:${tlsPort}/test.264`;
  const name = RECORDED_NAME['test.264']!;

  const dir = outDir();
  const ok = await startCLI([url, '--ca', ca, '-o', dir], 60_000);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir), [name]);
  await checkRecording('test.264', join(dir, name));

  const refusedDir = outDir();
  const refused = await startCLI([url, '-o', refusedDir], 60_000);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /^dorsvr-client: TLS handshake with 127\.0\.0\.1:\d+ failed: self[- ]signed certificate.*--ca file trusts the CA that signed it; --insecure skips the check/m);
  assert.deepEqual(readdirSync(refusedDir), [], 'nothing recorded');

  // A CA that did not sign it is refused too.
  const other = makeTestCertificate('another');
  try {
    const wrong = await startCLI([url, '--ca', other.certFile, '-o', outDir()], 60_000);
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /TLS handshake .* failed/);
  } finally {
    other.cleanup();
  }

  const laxDir = outDir();
  const lax = await startCLI([url, '--insecure', '-o', laxDir], 60_000);
  assert.equal(lax.code, 0, lax.stderr);
  assert.match(lax.stderr, /warning: --insecure: the server's TLS certificate is not verified/, 'it says so');
  await checkRecording('test.264', join(laxDir, name));
});

test('dorsvr-client records over rtsph:// (our server\'s HTTP tunnel) and rtspsh:// (its HTTPS tunnel, with --ca)', async () => {
  const name = RECORDED_NAME['test.264']!;
  const plain = outDir();
  const r = await startCLI([`rtsph://127.0.0.1:${httpPort}/test.264`, '-o', plain], 60_000);
  assert.equal(r.code, 0, r.stderr);
  await checkRecording('test.264', join(plain, name));

  const secure = outDir();
  const s = await startCLI([`rtspsh://127.0.0.1:${httpsPort}/test.264`, '--ca', cert.certFile, '-o', secure], 60_000);
  assert.equal(s.code, 0, s.stderr);
  await checkRecording('test.264', join(secure, name));
  const refused = await startCLI([`rtspsh://127.0.0.1:${httpsPort}/test.264`, '-o', outDir()], 60_000);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /certificate/);
});

test('dorsvr-client records from GStreamer\'s RTSP server over rtsps:// with --ca, and is refused without it', async () => {
  const gst = await startGstRtspServer({
    mounts: { '/v': '( videotestsrc num-buffers=50 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency key-int-max=25 speed-preset=ultrafast ! rtph264pay name=pay0 pt=96 config-interval=1 )' },
    tls: { certFile: cert.certFile, keyFile: cert.keyFile },
  });
  try {
    const url = gst.url('v');
    assert.match(url, /^rtsps:/);
    const dir = outDir();
    const r = await startCLI([url, '--ca', cert.certFile, '-o', dir], 60_000);
    assert.equal(r.code, 0, `${r.stderr}\n${gst.stderr()}`);
    const files = readdirSync(dir);
    assert.equal(files.length, 1, files.join(', '));
    const p = await probe(join(dir, files[0]!));
    assert.deepEqual([p.codec, p.width, p.height], ['h264', 320, 240]);
    assert.ok(p.frames >= 45, `${p.frames} of 50 frames`);
    const refused = await startCLI([url, '-o', outDir()], 60_000);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /self[- ]signed certificate.*--ca file/);
  } finally {
    await gst.stop();
  }
});

test('dorsvr-publish sends a file over rtsps:// with --ca and over rtsph://; the server counts what it sent; without --ca the certificate is refused', async () => {
  const sent = (stdout: string): number => Number(/, (\d+) packets, \d+ bytes\n/.exec(stdout)?.[1] ?? NaN);
  const tls = await runPeer(process.execPath, [PUBLISH_CLI, fixture('test.264'), `rtsps://127.0.0.1:${tlsPort}/live/a`, '--ca', cert.certFile], 60_000);
  assert.equal(tls.code, 0, tls.stderr);
  assert.match(tls.stdout, /^published .*test\.264 to rtsps:\/\/127\.0\.0\.1:\d+\/live\/a: /m);
  const u1 = await tlsServer.waitFor((l) => l.type === 'unpublish' && l.path === 'live/a');
  assert.equal(u1.packets, sent(tls.stdout), 'the server received every packet sent');

  const tunnel = await runPeer(process.execPath, [PUBLISH_CLI, fixture('test.264'), `rtsph://127.0.0.1:${httpPort}/live/b`], 60_000);
  assert.equal(tunnel.code, 0, tunnel.stderr);
  const u2 = await plainServer.waitFor((l) => l.type === 'unpublish' && l.path === 'live/b');
  assert.equal(u2.packets, sent(tunnel.stdout));

  const refused = await runPeer(process.execPath, [PUBLISH_CLI, fixture('test.264'), `rtsps://127.0.0.1:${tlsPort}/live/c`], 30_000);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /^dorsvr-publish: TLS handshake .* failed: self[- ]signed certificate.*--ca file/m);
  assert.ok(!tlsServer.lines.some((l) => l.type === 'publish' && l.path === 'live/c'), 'nothing was published');
});

test('dorsvr-proxy proxies an rtsps:// back-end with --ca (a player gets its frames); without --ca it refuses the certificate', async () => {
  const backend = `rtsps://127.0.0.1:${tlsPort}/test.264`;
  const proxy = startJSONChild(PROXY_CLI, [backend, '--port', '0', '--host', '127.0.0.1', '--ca', cert.certFile, '--status', '0']);
  try {
    const listening = await proxy.waitFor((l) => l.type === 'listening');
    const url = (listening.streams as Array<{ url: string }>)[0]!.url;
    const client = new RTSPClient(url);
    try {
      const session = await client.describe();
      const sub = session.subsessions[0]!;
      await client.setup(sub, { transport: 'tcp' });
      let frames = 0;
      const some = new Promise<void>((resolve) => {
        sub.on('frame', () => {
          if (++frames === 20) resolve();
        });
      });
      await client.play();
      await within(some, 20_000, '20 frames through the proxy');
      assert.equal(sub.codecName, 'H264');
    } finally {
      await client.close();
    }
  } finally {
    await proxy.stop();
  }

  const strict = startJSONChild(PROXY_CLI, [backend, '--port', '0', '--host', '127.0.0.1', '--status', '0']);
  try {
    const listening = await strict.waitFor((l) => l.type === 'listening');
    const url = (listening.streams as Array<{ url: string }>)[0]!.url;
    const client = new RTSPClient(url, { requestTimeoutMs: 15_000 });
    try {
      await assert.rejects(client.describe());
    } finally {
      await client.close();
    }
    const failed = await strict.waitFor((l) => l.type === 'state' && typeof l.reason === 'string' && /certificate/.test(l.reason));
    assert.match(failed.reason as string, /self[- ]signed certificate/);
  } finally {
    await strict.stop();
  }
});
