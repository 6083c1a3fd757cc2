// The API site's guides (guides/*.md) and the @example blocks of the packages' TSDoc cannot rot:
// every ```ts block of every guide and every @example block is type-checked against the built
// packages with the project's strict options; the guides' runnable flows (a live source, files
// served) are run and ffprobe reads what they serve; every dorsvr CLI flag a guide shows is one
// its --help lists; and the main entry points have an @example. typedoc.test.ts builds the site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { findPeer } from '../helpers/peers.js';
import { probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { GUIDES, GUIDES_DIR, guide } from './guideFiles.js';

/** The fenced blocks of a Markdown text whose info string starts with `lang`: [info, body]. */
function fenced(text: string, lang: string): Array<{ info: string; body: string }> {
  return [...text.matchAll(/^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === lang)
    .map((m) => ({ info: m[2]!.trim(), body: m[3]! }));
}

/** Type-check and compile `sources` (name → TypeScript) into `out` with the repository's strict options. */
function compile(sources: Record<string, string>, out: string): Record<string, string> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = Object.entries(sources).map(([n, src]) => {
    const f = join(out, `${n}.ts`);
    // `export {}` keeps a block a module (top-level await) even if it imports nothing.
    writeFileSync(f, `${src}\nexport {};\n`);
    return f;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    verbatimModuleSyntax: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules', '@types')],
    outDir: out,
    rootDir: out,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => out, getNewLine: () => '\n' });
  assert.equal(diagnostics.length, 0, `the blocks compile:\n${text}`);
  return Object.fromEntries(Object.keys(sources).map((n) => [n, join(out, `${n}.js`)]));
}

/** Every guide's ```ts blocks, named `<guide>-<n>` (or `<guide>-<tag>` for `guide-test=<tag>`). */
function guideBlocks(): Record<string, string> {
  const sources: Record<string, string> = {};
  for (const g of GUIDES) {
    fenced(guide(g), 'ts').forEach((b, i) => {
      const tag = /guide-test=([\w-]+)/.exec(b.info)?.[1];
      sources[`${g.replace(/\.md$/, '')}-${tag ?? i + 1}`] = b.body;
    });
  }
  return sources;
}

test('the guides are the seven the site lists, each a typedoc document with a title, under "Guides"', () => {
  const present = readdirSync(GUIDES_DIR).filter((f) => f.endsWith('.md')).sort();
  assert.deepEqual(present, [...GUIDES].sort());
  const config = JSON.parse(readFileSync(join(repoRoot, 'typedoc.json'), 'utf8')) as { projectDocuments?: string[] };
  assert.deepEqual(config.projectDocuments, ['guides/*.md']);
  for (const g of GUIDES) {
    const front = /^---\ntitle: (.+)\ngroup: Guides\n---\n\n# (.+)\n/.exec(guide(g));
    assert.ok(front, `${g} starts with front matter (title, group: Guides) and a heading`);
    assert.equal(front[1], front[2], `${g}: its title is its heading`);
    assert.ok(fenced(guide(g), 'ts').length >= 1, `${g} has TypeScript code`);
  }
  assert.match(readFileSync(join(repoRoot, 'README.md'), 'utf8'), /guides\/live-source\.md/, 'the README points at the guides');
});

test("every guide's TypeScript block type-checks against the built packages", () => {
  const sources = guideBlocks();
  assert.ok(Object.keys(sources).length >= 20, `${Object.keys(sources).length} blocks`);
  compile(sources, join(repoRoot, 'build', 'guides-test'));
});

/** Source files of the packages, recursively. */
function packageSources(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const p of readdirSync(join(repoRoot, 'packages'))) {
    const src = join(repoRoot, 'packages', p, 'src');
    if (existsSync(src)) walk(src);
  }
  return files.sort();
}

/** The TSDoc comment right before `export … <kind> <name>` in `file`, or undefined. */
function docOf(file: string, name: string): string | undefined {
  const text = readFileSync(file, 'utf8');
  const decl = new RegExp(`^export (?:declare )?(?:abstract )?(?:class|interface|type|function|async function|const) ${name}\\b`, 'm').exec(text);
  if (!decl) return undefined;
  const before = text.slice(0, decl.index);
  const m = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before);
  return m?.[1];
}

/** The main entry points: each has an @example in its TSDoc. */
const ENTRY_POINTS: ReadonlyArray<readonly [pkgFile: string, name: string]> = [
  ['rtspserver/src/RTSPServer.ts', 'RTSPServer'],
  ['rtspserver/src/DynamicRTSPServer.ts', 'DynamicRTSPServer'],
  ['rtspserver/src/UserAuthenticationDatabase.ts', 'UserAuthenticationDatabase'],
  ['rtspclient/src/RTSPClient.ts', 'RTSPClient'],
  ['rtspclient/src/ProxyServerMediaSession.ts', 'ProxyServerMediaSession'],
  ['rtspclient/src/Publication.ts', 'Publication'],
  ['livemedia/src/server/ServerMediaSession.ts', 'ServerMediaSession'],
  ['livemedia/src/server/OnDemandServerMediaSubsession.ts', 'OnDemandServerMediaSubsession'],
  ['livemedia/src/server/createFileServerMediaSubsession.ts', 'createFileServerMediaSubsession'],
  ['livemedia/src/server/LiveServerMediaSubsession.ts', 'LiveServerMediaSubsession'],
  ['livemedia/src/server/PassiveServerMediaSubsession.ts', 'PassiveServerMediaSubsession'],
  ['livemedia/src/relay/RelayServerMediaSession.ts', 'RelayServerMediaSession'],
  ['livemedia/src/core/FramedSource.ts', 'FramedSource'],
  ['livemedia/src/core/MediaSink.ts', 'MediaSink'],
  ['livemedia/src/sinks/FileSink.ts', 'FileSink'],
  ['livemedia/src/sinks/createFileSink.ts', 'createFileSink'],
  ['livemedia/src/rtsp/RTSPParser.ts', 'RTSPParser'],
  ['livemedia/src/rtsp/serializeRTSPMessage.ts', 'serializeRTSPRequest'],
  ['livemedia/src/sdp/parseSDP.ts', 'parseSDP'],
  ['livemedia/src/sdp/formatSDP.ts', 'formatSDP'],
  ['livemedia/src/rtp/RTPPacket.ts', 'parseRTPHeader'],
  ['livemedia/src/rtcp/RTCPPacket.ts', 'parseRTCP'],
  ['scheduler/src/TaskScheduler.ts', 'TaskScheduler'],
  ['scheduler/src/defaultScheduler.ts', 'defaultScheduler'],
  ['scheduler/src/DorsvrError.ts', 'DorsvrErrorCode'],
  ['scheduler/src/DorsvrError.ts', 'DorsvrError'],
  ['groupsock/src/Groupsock.ts', 'Groupsock'],
];

test('the main entry points have an @example', () => {
  const missing = ENTRY_POINTS.filter(([file, name]) => !docOf(join(repoRoot, 'packages', file), name)?.includes('@example')).map(([f, n]) => `${n} (${f})`);
  assert.deepEqual(missing, []);
});

test('every @example in the packages type-checks against the built packages; those needing no file or server run', async () => {
  const sources: Record<string, string> = {};
  for (const file of packageSources()) {
    const text = readFileSync(file, 'utf8');
    for (const c of text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\//g)) {
      const comment = c[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
      for (const ex of comment.matchAll(/@example\s*\n```ts\n([\s\S]*?)\n```/g)) {
        const name = relative(join(repoRoot, 'packages'), file).replace(/\.ts$/, '').replace(/[/.]/g, '_');
        let key = name;
        for (let i = 2; key in sources; i++) key = `${name}_${i}`;
        sources[key] = ex[1]!;
      }
    }
  }
  assert.ok(Object.keys(sources).length >= ENTRY_POINTS.length, `${Object.keys(sources).length} @example blocks`);
  const js = compile(sources, join(repoRoot, 'build', 'guides-test-examples'));

  // The examples that need no file, server or device run, and print what their comments say.
  const expected: Record<string, string> = {
    livemedia_src_rtsp_RTSPParser: 'OPTIONS 1\nchannel 0: 2 bytes\n',
    livemedia_src_sdp_parseSDP: 'video H264 track1\n',
    livemedia_src_rtp_RTPPacket: '96 1 3\n',
    livemedia_src_rtcp_RTCPPacket: 'rr\n',
    livemedia_src_rtsp_serializeRTSPMessage: '',
    livemedia_src_sdp_formatSDP: '',
    livemedia_src_core_FramedSource: '',
    scheduler_src_TaskScheduler: '10\n',
    groupsock_src_Groupsock: 'headpayload\n',
  };
  for (const [name, stdout] of Object.entries(expected)) {
    assert.ok(js[name], `an @example ${name}`);
    const r = await runIn(repoRoot, [js[name]!]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, stdout, name);
  }
});

/** Run a compiled block with PORT=0 from the repository root; resolves with the URL it prints. */
function serve(js: string, args: readonly string[] = []): { child: ChildProcess; url: Promise<string> } {
  const child = spawn(process.execPath, [js, ...args], { cwd: repoRoot, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out} ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(?:play|publish to) (rtsp:\/\/\S+)/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/^rtsp:\/\/[^/]+:(\d+)\//, 'rtsp://127.0.0.1:$1/'));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${err}`));
    });
  });
  return { child, url };
}

/** Run node with `args` in `cwd`; killed after 60 s. */
const runIn = (cwd: string, args: readonly string[]) => runPeer(process.execPath, args, 60_000, undefined, cwd);

/** ffprobe an RTSP URL over TCP: each stream's codec, sample rate and channels. */
async function probeURL(url: string): Promise<Array<{ codec_name: string; sample_rate?: string; channels?: number; width?: number }>> {
  const r = await runPeer(
    findPeer('ffprobe'),
    ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,sample_rate,channels,width', '-of', 'json', url],
    30_000,
  );
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { streams: Array<{ codec_name: string; sample_rate?: string; channels?: number; width?: number }> }).streams;
}

test("the guides' live source, file server, recorder and proxy run as written, and ffprobe reads what they serve and record", async () => {
  const all = guideBlocks();
  const runnable = {
    'live-source-live-source': all['live-source-live-source'],
    'serving-files-serving-files': all['serving-files-serving-files'],
    'recording-recording': all['recording-recording'],
    'publishing-and-proxying-proxy': all['publishing-and-proxying-proxy'],
  };
  for (const [k, v] of Object.entries(runnable)) assert.ok(v, `a guide-test block ${k}`);
  const js = compile(runnable as Record<string, string>, join(repoRoot, 'build', 'guides-test-run'));

  const live = serve(js['live-source-live-source']!);
  try {
    const streams = await probeURL(await live.url);
    assert.deepEqual(
      streams.map((s) => [s.codec_name, s.sample_rate, s.channels]),
      [['pcm_s16be', '8000', 1]],
    );
  } finally {
    live.child.kill('SIGKILL');
  }

  const files = serve(js['serving-files-serving-files']!);
  try {
    const url = await files.url;
    const streams = await probeURL(url);
    assert.deepEqual(
      streams.map((s) => s.codec_name),
      ['h264', 'aac'],
    );
    assert.equal(streams[0]!.width, 320);

    // The recording guide's program records that stream until it ends; ffprobe reads both files.
    await withTempDir(async (dir) => {
      const r = await runIn(dir, [js['recording-recording']!, url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^cam-video-1\.264: \d+ bytes$/m);
      assert.match(r.stdout, /^cam-audio-2\.aac: \d+ bytes$/m);
      const video = await probe(join(dir, 'cam-video-1.264'));
      assert.deepEqual([video.codec, video.width, video.frames], ['h264', 320, 50]);
      const audio = await probe(join(dir, 'cam-audio-2.aac'));
      assert.equal(audio.codec, 'aac');
      assert.ok(audio.frames > 0, `${audio.frames} AAC frames`);

      // A file it cannot write (a directory is in the way): one line, exit status 1, no stack trace.
      const blocked = join(dir, 'blocked');
      mkdirSync(join(blocked, 'cam-video-1.264'), { recursive: true });
      const b = await runIn(blocked, [js['recording-recording']!, url]);
      assert.equal(b.code, 1, b.stderr);
      assert.match(b.stderr, /^cannot record: .*EISDIR/);
      assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);
    });

    // The publishing guide's proxy, with that stream as its back-end: ffprobe reads both tracks through it.
    const proxy = serve(js['publishing-and-proxying-proxy']!, [url]);
    try {
      const proxied = await probeURL(await proxy.url);
      assert.deepEqual(
        proxied.map((s) => s.codec_name),
        ['h264', 'aac'],
      );
    } finally {
      proxy.child.kill('SIGKILL');
    }
  } finally {
    files.child.kill('SIGKILL');
  }
});

test("the publishing guide's server takes ffmpeg's stream and the guide's RTSPClient.publish program with the guide's credentials and serves both to ffprobe; it refuses another path", async () => {
  const blocks = guideBlocks();
  const js = compile(
    {
      'publishing-and-proxying-publish': blocks['publishing-and-proxying-publish']!,
      'publishing-and-proxying-publish-client': blocks['publishing-and-proxying-publish-client']!,
    },
    join(repoRoot, 'build', 'guides-test-publish'),
  );
  const server = serve(js['publishing-and-proxying-publish']!);
  let out = '';
  server.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const url = await server.url; // rtsp://127.0.0.1:<port>/live/cam1
    const withUser = url.replace('rtsp://', 'rtsp://cam:s3cret@');
    const ffmpeg = findPeer('ffmpeg');
    // test.ts's H.264 video four times (8 s at -re): ffmpeg cannot loop a raw .264 (it cannot seek
    // it), which then ended after its 2 s, and under load before ffprobe had a key frame (width 0).
    const publishArgs = (to: string): string[] => ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-stream_loop', '3', '-i', join(repoRoot, 'test', 'fixtures', 'test.ts'), '-map', '0:v', '-c', 'copy', '-f', 'rtsp', '-rtsp_transport', 'tcp', to];
    const publishing = runPeer(ffmpeg, publishArgs(withUser), 30_000);
    // Read it while it is published: once the server said so.
    for (let i = 0; i < 100 && !out.includes('live/cam1: 1 track(s) live'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /^live\/cam1: 1 track\(s\) live$/m);
    const streams = await probeURL(withUser);
    assert.deepEqual(streams.map((s) => [s.codec_name, s.width]), [['h264', 320]]);
    const p = await publishing;
    assert.equal(p.code, 0, p.stderr);
    for (let i = 0; i < 50 && !/^live\/cam1 ended \(teardown\), \d+ RTP packets$/m.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /^live\/cam1 ended \(teardown\), \d+ RTP packets$/m);
    // authorizePublish: only live/… — another path is refused (403), and ffmpeg fails.
    const refused = await runPeer(ffmpeg, publishArgs(withUser.replace('/live/cam1', '/elsewhere')), 30_000);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /403|Forbidden/);

    // The guide's RTSPClient.publish program, for 4 s of its looping file: ffprobe reads it meanwhile.
    const client = runIn(repoRoot, [js['publishing-and-proxying-publish-client']!, withUser, '4']);
    for (let i = 0; i < 100 && out.split('live/cam1: 1 track(s) live').length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(out.split('live/cam1: 1 track(s) live').length, 3, out);
    const again = await probeURL(withUser);
    assert.deepEqual(again.map((s) => [s.codec_name, s.width]), [['h264', 320]]);
    const c = await client;
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /packetsSent: [1-9]\d*/);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test("the auth guide's server runs as written: each stream lets in its own database's users only (ffprobe with Digest MD5)", async () => {
  const js = compile({ 'auth-and-tls-auth': guideBlocks()['auth-and-tls-auth']! }, join(repoRoot, 'build', 'guides-test-auth'));
  const server = serve(js['auth-and-tls-auth']!);
  try {
    const base = (await server.url).replace(/\/lobby$/, '');
    const as = (user: string, path: string): string => base.replace('rtsp://', `rtsp://${user}@`) + path;
    const lobby = await probeURL(as('alice:correct%20horse', '/lobby'));
    assert.deepEqual(lobby.map((s) => s.codec_name), ['h264']);
    const board = await probeURL(as('carol:staple', '/board'));
    assert.deepEqual(board.map((s) => s.codec_name), ['h264']);
    for (const [user, path] of [['alice:correct%20horse', '/board'], ['carol:staple', '/lobby'], ['alice:wrong', '/lobby']] as const) {
      const r = await runPeer(findPeer('ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', as(user, path)], 30_000);
      assert.notEqual(r.code, 0, `${user} on ${path} is refused`);
      assert.match(r.stderr, /401|Unauthorized/, `${user} on ${path}`);
    }
  } finally {
    server.child.kill('SIGKILL');
  }
});

/** The CLI each command name runs (its compiled entry). */
const CLIS: Record<string, string> = {
  'dorsvr-server': 'packages/rtspserver/dist/cli.js',
  'dorsvr-client': 'packages/rtspclient/dist/cli.js',
  'dorsvr-publish': 'packages/rtspclient/dist/publishCLI.js',
  'dorsvr-proxy': 'packages/proxyserver/dist/cli.js',
};

test('every dorsvr CLI flag a guide shows is one that CLI lists in its --help', async () => {
  const help: Record<string, string> = {};
  for (const [name, file] of Object.entries(CLIS)) {
    const r = await runPeer(process.execPath, [join(repoRoot, file), '--help'], 30_000);
    assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
    help[name] = r.stdout;
  }
  let checked = 0;
  for (const g of GUIDES) {
    const text = guide(g);
    // Command lines: in shell blocks, and in inline code.
    const lines = [...fenced(text, 'sh').flatMap((b) => b.body.split('\n')), ...[...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)];
    for (const line of lines) {
      const m = /\b(dorsvr-(?:server|client|publish|proxy))\b(.*)$/.exec(line);
      if (!m) continue;
      for (const flag of m[2]!.match(/(?<=\s)--?[a-zA-Z][\w-]*/g) ?? []) {
        checked++;
        assert.ok(new RegExp(`(^|[\\s\\[,])${flag}(?![\\w-])`, 'm').test(help[m[1]!]!), `${g}: ${m[1]} ${flag} is not in its --help`);
      }
    }
  }
  assert.ok(checked >= 10, `${checked} flags checked`);
});
