// H.265 SDP (issue #11): the fmtp carries profile-space, profile-id, tier-flag, level-id (RFC 7798
// §7.1) from the stream's profile_tier_level, checked against what ffprobe reads from the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { H265VideoFileServerMediaSubsession, ServerMediaSession, parseSDP } from '@dorsvr/livemedia';
import { findPeer } from '../../helpers/peers.js';
import { fixture } from '../../helpers/paths.js';

/** ffprobe's `profile` names and their general_profile_idc (H.265 Annex A). */
const PROFILE_IDC: Record<string, number> = { Main: 1, 'Main 10': 2, 'Main Still Picture': 3, Rext: 4 };

for (const file of ['test.265', 'test-30fps.265']) {
  test(`H.265 fmtp of ${file}: profile-space, profile-id, tier-flag, level-id as ffprobe reads them, with the sprop parameter sets`, async () => {
    const out = execFileSync(findPeer('ffprobe'), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=profile,level', '-of', 'json', fixture(file)], { encoding: 'utf8' });
    const want = (JSON.parse(out) as { streams: Array<{ profile: string; level: number }> }).streams[0]!;
    const scheduler = new BasicTaskScheduler();
    const sub = new H265VideoFileServerMediaSubsession(fixture(file), { scheduler });
    new ServerMediaSession('v').addSubsession(sub);
    try {
      const sdp = parseSDP(`v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${await sub.sdpLines()}`);
      const params = sdp.media[0]!.fmtps[0]!.parameters;
      assert.equal(params['profile-space'], '0');
      assert.equal(params['profile-id'], String(PROFILE_IDC[want.profile]), `ffprobe says ${want.profile}`);
      assert.equal(params['tier-flag'], '0', 'Main tier');
      assert.equal(params['level-id'], String(want.level));
      assert.match(params['interop-constraints'] ?? '', /^[0-9A-F]{12}$/);
      for (const k of ['sprop-vps', 'sprop-sps', 'sprop-pps']) assert.ok((params[k] ?? '').length > 0, k);
    } finally {
      sub.close();
      scheduler.close();
    }
  });
}
