// typedoc builds the API site (the guides as documents, livemedia grouped by kind, rtspserver and
// rtspclient by job) with no warning. Its own file: the slowest of the guides' checks, it runs
// beside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { withTempDir } from '../helpers/tempDir.js';
import { runPeer } from '../rtspserver/helpers/ffmpeg.js';
import { GUIDES, guide } from './guideFiles.js';

test('typedoc builds the site with no warning: the guides as documents, livemedia, rtspserver and rtspclient grouped by job', async () => {
  await withTempDir(async (dir) => {
    const r = await runPeer(process.execPath, [join(repoRoot, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', dir], 540_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /\[warning\]|\[error\]/);
    const pages = readdirSync(join(dir, 'documents')).sort();
    assert.equal(pages.length, GUIDES.length, pages.join(', '));
    for (const g of GUIDES) {
      const title = /^title: (.+)$/m.exec(guide(g))![1]!;
      assert.ok(pages.includes(`${title.replace(/[^\w]+/g, '_')}.html`), `${title}: ${pages.join(', ')}`);
    }
    const livemedia = readFileSync(join(dir, 'modules', '_dorsvr_livemedia.html'), 'utf8');
    const groups = [...livemedia.matchAll(/<h2 class="tsd-anchor-link" id="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(groups, ['sources', 'framers', 'rtp', 'rtcp', 'sdp', 'rtsp-codec', 'server-sessions', 'sinks']);
    // Each group's section, up to the next: the exports named in it.
    const sections = livemedia.split(/<h2 class="tsd-anchor-link" id="/).slice(1);
    const members = (id: string): string[] => {
      const section = sections.find((s) => s.startsWith(`${id}"`)) ?? '';
      return [...section.matchAll(/<a href="[^"]*">([^<]+)<\/a>/g)].map((m) => m[1]!);
    };
    const expected: Record<string, string[]> = {
      sources: ['FramedSource', 'AsyncIterableSource', 'ByteStreamFileSource', 'WAVAudioFileSource', 'MP3FileSource', 'ADTSAudioFileSource'],
      framers: ['H264VideoStreamFramer', 'ADTSAudioStreamFramer', 'MPEG2TransportStreamFramer', 'parseH264SPS', 'parseAudioSpecificConfig'],
      rtp: ['H264VideoRTPSink', 'H264VideoRTPSource', 'parseRTPHeader', 'RTPReorderBuffer'],
      rtcp: ['RTCPInstance', 'parseRTCP'],
      sdp: ['parseSDP', 'formatSDP'],
      'rtsp-codec': ['RTSPParser', 'serializeRTSPRequest', 'parseTransportHeader', 'verifyDigestAuthorization'],
      'server-sessions': ['ServerMediaSession', 'OnDemandServerMediaSubsession', 'LiveServerMediaSubsession', 'PassiveServerMediaSubsession', 'RelayServerMediaSession'],
      sinks: ['MediaSink', 'FileSink', 'createFileSink', 'H264VideoFileSink'],
    };
    for (const [id, names] of Object.entries(expected)) {
      const listed = members(id);
      for (const n of names) assert.ok(listed.includes(n), `${n} is listed under ${id}: ${listed.join(', ')}`);
    }
    // The server and client packages are grouped by job too: no export is left in a by-kind group.
    const groupsOf = (pkg: string): string[] =>
      [...readFileSync(join(dir, 'modules', `_dorsvr_${pkg}.html`), 'utf8').matchAll(/<h2 class="tsd-anchor-link" id="([^"]+)">/g)].map((m) => m[1]!);
    const hint = 'a file newly exported from the package index needs its group in typedoc-groups.mjs';
    assert.deepEqual(groupsOf('rtspserver'), ['server', 'requests-and-sessions', 'authentication', 'publishing', 'rtsp-over-http', 'statistics'], hint);
    assert.deepEqual(groupsOf('rtspclient'), ['client', 'playing', 'publishing', 'proxying', 'command-line'], hint);
  });
});
