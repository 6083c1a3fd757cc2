// AAC access units larger than one RTP packet (issue #11: dropped silently before): fragmented per
// RFC 3640 §3.2.3 by our sink, reassembled by ffmpeg's depacketizer. ffmpeg's own AAC encoder
// keeps frames under a packet, so the file is made from the fixture's frames, each followed by
// 2000 bytes after its ID_END element (bytes a decoder never reads): real AAC, large AUs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { ADTSAudioFileServerMediaSubsession, ADTSAudioFileSource, ServerMediaSession, makeADTSHeader, parseAudioSpecificConfig } from '@dorsvr/livemedia';
import { RTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../../helpers/paths.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { ffmpegCopy } from '../helpers/ffmpeg.js';

test('ffmpeg records an AAC stream whose every access unit is fragmented (over TCP and UDP): the same AUs, byte for byte', async () => {
  await withTempDir(async (dir) => {
    const src = ADTSAudioFileSource.fromBytes(readFileSync(fixture('test.aac')));
    const config = parseAudioSpecificConfig(Buffer.from(src.configHex, 'hex'));
    const aus: Buffer[] = [];
    for await (const f of src) aus.push(Buffer.concat([Buffer.from(f.data), Buffer.alloc(2000, 0x5a)]));
    writeFileSync(join(dir, 'big.aac'), Buffer.concat(aus.flatMap((au) => [Buffer.from(makeADTSHeader(config, au.length)), au])));

    const scheduler = new BasicTaskScheduler();
    const server = new RTSPServer({ scheduler, port: 0, host: '127.0.0.1' });
    server.addServerMediaSession(new ServerMediaSession('big').addSubsession(new ADTSAudioFileServerMediaSubsession(join(dir, 'big.aac'), { scheduler })));
    await server.listen();
    try {
      for (const transport of ['tcp', 'udp'] as const) {
        const out = join(dir, `${transport}.aac`);
        const r = await ffmpegCopy(`rtsp://127.0.0.1:${server.port}/big`, transport, out);
        assert.equal(r.code, 0, r.stderr);
        const got: Buffer[] = [];
        for await (const f of ADTSAudioFileSource.fromBytes(readFileSync(out))) got.push(Buffer.from(f.data));
        assert.equal(got.length, aus.length, `${transport}: ${got.length} of ${aus.length} access units`);
        got.forEach((au, i) => assert.ok(au.equals(aus[i]!), `${transport}: AU ${i} differs`));
      }
    } finally {
      await server.close();
      scheduler.close();
    }
  });
});
