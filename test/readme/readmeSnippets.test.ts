// The README's server and client snippets, taken from README.md as written (the fenced blocks
// marked `readme-test=server` / `readme-test=client`, so README and test cannot diverge), type-
// checked and compiled against the built packages with the project's compiler options, then run:
// ffmpeg/ffprobe play the server's file and live streams, the client snippet records the file
// stream, and a file it cannot write is one clear line and exit status 1. Also: the packages
// load with CommonJS require() from a .cjs file (the README says so), each package's README and
// LICENSE, what npm pack puts in each tarball, and the four CLI shims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { findPeer } from '../helpers/peers.js';
import { ffmpegCopy, probe, runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { checkRecording } from '../rtspclient/clientCLI.js';

const README = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const OUT = join(repoRoot, 'build', 'readme-test');

/** The fenced block marked `readme-test=<name>`. */
function snippet(name: string): string {
  const blocks = [...README.matchAll(/^```ts readme-test=(\w+)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === name);
  assert.equal(blocks.length, 1, `one readme-test=${name} block in README.md`);
  return blocks[0]![2]!;
}

/** Compile the snippets as written (type-checked, the project's strict options); their .js paths. */
function compile(names: readonly string[], sources: Record<string, string> = {}, out = OUT): Record<string, string> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files = names.map((n) => {
    const f = join(out, `${n}.ts`);
    writeFileSync(f, sources[n] ?? snippet(n));
    return f;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules', '@types')],
    outDir: out,
    rootDir: out,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' });
  assert.equal(diagnostics.length, 0, `the README snippets compile:\n${text}`);
  return Object.fromEntries(names.map((n) => [n, join(out, `${n}.js`)]));
}

/** Run node with `args` in `cwd`; killed after 30 s. */
const runIn = (cwd: string, args: readonly string[]) => runPeer(process.execPath, args, 30_000, undefined, cwd);

test('the README server, client and playing snippets build as written; ffmpeg plays the server, the client records it, the player prints its frames and fails in one line', async () => {
  const js = compile(['server', 'client', 'play']);
  // The server snippet spawns `ffmpeg` from PATH: the one the tests use goes first.
  const PATH = `${dirname(findPeer('ffmpeg'))}:${process.env.PATH ?? ''}`;
  const server = spawn(process.execPath, [js.server!], { cwd: repoRoot, env: { ...process.env, PATH, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  server.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server printed no URL: ${out} ${err}`)), 20_000);
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^play rtsp:\/\/[^\s/]+:(\d+)\/movie or rtsp:\/\/[^\s/]+:\d+\/live$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${err}`)));
    });
    const base = `rtsp://127.0.0.1:${port}`;

    await withTempDir(async (dir) => {
      // The file stream, played by ffmpeg.
      const movie = join(dir, 'movie.mkv');
      const m = await ffmpegCopy(`${base}/movie`, 'udp', movie, [], 30_000);
      assert.equal(m.code, 0, m.stderr);
      const pm = await probe(movie);
      assert.deepEqual([pm.codec, pm.width, pm.height, pm.frames], ['h264', 320, 240, 50]);

      // The live stream: its SDP carries the parameter sets, and a recording decodes cleanly.
      const sdp = await runPeer(findPeer('ffprobe'), ['-v', 'debug', '-rtsp_transport', 'tcp', `${base}/live`], 30_000);
      assert.equal(sdp.code, 0, sdp.stderr.slice(-2000));
      assert.match(sdp.stderr, /a=fmtp:96 packetization-mode=1;profile-level-id=[0-9A-F]{6};sprop-parameter-sets=\S+,\S+/);
      const live = join(dir, 'live.mkv');
      const l = await ffmpegCopy(`${base}/live`, 'tcp', live, [], 30_000, ['-t', '2']);
      assert.equal(l.code, 0, l.stderr);
      const pl = await probe(live);
      assert.deepEqual([pl.codec, pl.width, pl.height], ['h264', 640, 480]);
      assert.ok(pl.frames >= 20, `${pl.frames} pictures`);
      const d = await runPeer(findPeer('ffmpeg'), ['-hide_banner', '-v', 'error', '-i', live, '-f', 'null', '-'], 30_000);
      assert.equal(d.code, 0, d.stderr);
      assert.doesNotMatch(d.stderr, /non-existing PPS|no frame!/);

      // The client snippet records the file stream into its working directory: the same NAL units as the file.
      const c = await runIn(dir, [js.client!, `${base}/movie`]);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stderr, '');
      await checkRecording('test.264', join(dir, 'recording.264'));

      // Where the file cannot be written (a directory is in the way): one line, exit status 1.
      const blocked = join(dir, 'blocked');
      mkdirSync(join(blocked, 'recording.264'), { recursive: true });
      const b = await runIn(blocked, [js.client!, `${base}/movie`]);
      assert.equal(b.code, 1, b.stderr);
      assert.match(b.stderr, /^cannot record: cannot open recording\.264: EISDIR/);
      assert.equal(b.stderr.trim().split('\n').length, 1, b.stderr);

      // No server there: one line, exit status 1.
      const n = await runIn(dir, [js.client!, 'rtsp://127.0.0.1:1/movie']);
      assert.equal(n.code, 1, n.stderr);
      assert.match(n.stderr, /^cannot record: .*(refused|ECONNREFUSED)/);

      // "Playing a stream": a line per frame of the file stream to its end, exit status 0.
      const p = await runIn(dir, [js.play!, `${base}/movie`]);
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stderr, '');
      const lines = p.stdout.trim().split('\n');
      assert.ok(lines.every((l) => /^\d+ \d+ \d+$/.test(l)), p.stdout.slice(0, 500));
      // One line per NAL unit; the clip's 50 pictures are 50 RTP timestamps.
      assert.equal(new Set(lines.map((l) => l.split(' ')[2])).size, 50, p.stdout.slice(0, 500));
      // A refused connection and a stream that is not there: one line each, exit status 1, no unhandled rejection.
      for (const [url, reason] of [['rtsp://127.0.0.1:1/movie', /refused|ECONNREFUSED/], [`${base}/nothing`, /404/]] as const) {
        const f = await runIn(dir, [js.play!, url]);
        assert.equal(f.code, 1, f.stderr);
        assert.match(f.stderr, /^cannot play: /);
        assert.match(f.stderr, reason);
        assert.equal(f.stderr.trim().split('\n').length, 1, f.stderr);
      }
    });
  } finally {
    server.kill('SIGKILL');
  }
});

/** The library packages (each has an index the README's `require()` loads). */
const LIBRARIES = ['scheduler', 'groupsock', 'livemedia', 'rtspserver', 'rtspclient'] as const;
/** Every published package: the libraries and the CLI-only proxyserver. */
const PACKAGES = [...LIBRARIES, 'proxyserver'] as const;

test('CommonJS code loads every package with require() (Node >= 20.19: require(esm)), as the README says', async () => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  assert.ok(major > 20 || (major === 20 && minor >= 19), `Node ${process.versions.node} has require(esm)`);
  const names: Record<(typeof LIBRARIES)[number], string> = {
    scheduler: 'defaultScheduler',
    groupsock: 'Groupsock',
    livemedia: 'LiveServerMediaSubsession',
    rtspserver: 'RTSPServer',
    rtspclient: 'RTSPClient',
  };
  // A .cjs file as a CommonJS user writes it, run by node: the README's line, then a server that
  // listens and closes (the loaded classes work, not only exist).
  const dir = join(repoRoot, 'build', 'readme-test-cjs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'load.cjs');
  writeFileSync(
    file,
    [
      "'use strict';",
      "const { RTSPServer } = require('@dorsvr/rtspserver');",
      ...LIBRARIES.map((p) => `console.log('${p}', typeof require('@dorsvr/${p}').${names[p]});`),
      "const server = new RTSPServer({ port: 0, host: '127.0.0.1' });",
      "server.listen().then(() => { console.log('listening', server.port > 0); return server.close(); }).then(() => process.exit(0));",
      '',
    ].join('\n'),
  );
  const r = await runIn(dir, [file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${LIBRARIES.map((p) => `${p} function\n`).join('')}listening true\n`, r.stderr);
  // The in-process equivalent, for the record: createRequire gives the same modules.
  const require = createRequire(join(repoRoot, 'package.json'));
  for (const p of LIBRARIES) {
    const mod = require(`@dorsvr/${p}`) as Record<string, unknown>;
    assert.equal(typeof mod[names[p]], 'function', `require('@dorsvr/${p}').${names[p]}`);
  }
});

test('every package has a README (install, an example, the API site) and the LICENSE, and lists them in files', () => {
  const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
  for (const p of PACKAGES) {
    const dir = join(repoRoot, 'packages', p);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; files: string[]; exports: Record<string, Record<string, string>> };
    assert.equal(readFileSync(join(dir, 'LICENSE'), 'utf8'), license, `${p}/LICENSE is the root LICENSE`);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert.match(readme, new RegExp(`^# ${pkg.name.replace('/', '\\/')}\n`), `${p}/README.md starts with the package name`);
    assert.match(readme, new RegExp(`npm install [^\n]*${pkg.name.replace('/', '\\/')}`), `${p}/README.md says how to install`);
    assert.match(readme, /```ts\n[^]*?import [^]*?from '@dorsvr\//, `${p}/README.md has an example`);
    assert.match(readme, /## API/, `${p}/README.md links the API reference`);
    for (const f of ['dist', 'README.md', 'LICENSE']) assert.ok(pkg.files.includes(f), `${p} files has ${f}`);
    if (p !== 'proxyserver') assert.equal(pkg.exports['.']!.default, './dist/index.js', `${p} exports a default condition (require(esm))`);
  }
});

test("every package README's TypeScript example type-checks against the built packages", () => {
  const sources: Record<string, string> = {};
  for (const p of PACKAGES) {
    const readme = readFileSync(join(repoRoot, 'packages', p, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
    assert.ok(blocks.length >= 1, `${p}/README.md has a ts example`);
    blocks.forEach((b, i) => (sources[`${p}-${i}`] = b[1]!));
  }
  compile(Object.keys(sources), sources, join(repoRoot, 'build', 'readme-test-packages'));
});

test('npm pack of each package holds what an installed user needs (dist, types, README, LICENSE, bins), no tests, and source maps that point into it', async () => {
  for (const p of PACKAGES) {
    const dir = join(repoRoot, 'packages', p);
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(r.code, 0, r.stderr);
    const files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    const needed = ['package.json', 'README.md', 'LICENSE', ...(p === 'proxyserver' ? [] : ['dist/index.js', 'dist/index.d.ts'])];
    for (const b of Object.values(pkg.bin ?? {})) needed.push(b.replace(/^\.\//, ''), /import\('\.\.\/(dist\/\w+\.js)'\)/.exec(readFileSync(join(dir, b), 'utf8'))?.[1] ?? 'dist/?');
    for (const f of needed) assert.ok(files.has(f), `${p}: the tarball has ${f}`);
    const unwanted = [...files].filter((f) => /(^|\/)test\/|\.test\.|\.tsbuildinfo$|^node_modules\//.test(f));
    assert.deepEqual(unwanted, [], `${p}: no tests or build state in the tarball`);
    // Every source map (.js.map, .d.ts.map: "go to definition" in an editor) names sources that are in the tarball.
    const maps = [...files].filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 0, `${p}: source maps`);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(dir, m), 'utf8')) as { sources: string[] };
      for (const src of map.sources) {
        const target = posix.normalize(posix.join(posix.dirname(m), src));
        assert.ok(files.has(target), `${p}: ${m} points to ${target}, which the tarball has`);
      }
    }
  }
});

test('the CLI bins are committed shims that the lockfile names, so npm ci links them before dist/ exists; each runs --help and --version (`<command> (<package>) <version>`)', async () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { bin?: Record<string, string> }> };
  const names: string[] = [];
  for (const p of PACKAGES) {
    const dir = join(repoRoot, 'packages', p);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string; bin?: Record<string, string> };
    for (const [name, file] of Object.entries(pkg.bin ?? {})) {
      names.push(name);
      assert.ok(!file.includes('dist/'), `${name} is not a build output (${file})`);
      const shim = readFileSync(join(dir, file), 'utf8');
      assert.match(shim, /^#!\/usr\/bin\/env node\n/);
      assert.match(shim, /import\('\.\.\/dist\/\w+\.js'\)/);
      assert.equal(lock.packages[`packages/${p}`]?.bin?.[name], file.replace(/^\.\//, ''), `package-lock.json names ${name}'s shim`);
      // As the README says: `--help` (every option, on stdout, exit 0) and `--version`.
      const help = await runIn(repoRoot, [join(dir, file), '--help']);
      assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
      assert.match(help.stdout, new RegExp(`usage: ${name} `), `${name} --help prints its usage on stdout`);
      assert.match(help.stdout, /\(default: /, `${name} --help shows defaults`);
      const v = await runIn(repoRoot, [join(dir, file), '--version']);
      assert.equal(v.code, 0, `${name} --version: ${v.stderr}`);
      // All four say it alike: the command, the package it comes from, the version.
      assert.equal(v.stdout, `${name} (${pkg.name}) ${pkg.version}\n`, `${name} --version`);
    }
  }
  assert.deepEqual(names.sort(), ['dorsvr-client', 'dorsvr-proxy', 'dorsvr-publish', 'dorsvr-server']);
});
