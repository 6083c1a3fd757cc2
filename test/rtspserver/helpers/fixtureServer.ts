import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { BasicTaskScheduler } from '@dorsvr/scheduler';
import { H264VideoFileServerMediaSubsession } from '@dorsvr/livemedia';
import { DYNAMIC_SERVER_EXTENSIONS, DynamicRTSPServer } from '@dorsvr/rtspserver';
import { fixture } from '../../helpers/paths.js';

/** The media server on test/fixtures for a whole test file; `base` is its `rtsp://` URL. */
export interface FixtureServer {
  readonly server: DynamicRTSPServer;
  readonly base: string;
}

/**
 * Start a DynamicRTSPServer on test/fixtures (127.0.0.1, a free port) before this file's tests and
 * close it after them. Read the fields inside tests (they are set by the `before` hook).
 */
export function useFixtureServer(): FixtureServer {
  const scheduler = new BasicTaskScheduler();
  const state = { server: undefined as DynamicRTSPServer | undefined, base: '' };
  before(async () => {
    state.server = new DynamicRTSPServer({ scheduler, root: fixture(''), port: 0, host: '127.0.0.1' });
    await state.server.listen();
    state.base = `rtsp://127.0.0.1:${state.server.port}`;
  });
  after(async () => {
    await state.server?.close();
    scheduler.close();
  });
  return {
    get server() {
      assert.ok(state.server, 'the fixture server is started by the before hook');
      return state.server;
    },
    get base() {
      return state.base;
    },
  };
}

/** Fails unless every extension the media server serves is among `files` (aliases aside). */
export function assertEveryExtensionCovered(files: readonly string[], peer: string): void {
  const covered = new Set(files.map((f) => f.slice(f.lastIndexOf('.'))));
  for (const ext of DYNAMIC_SERVER_EXTENSIONS.keys()) {
    if (ext === '.h264' || ext === '.h265') continue; // aliases of .264/.265
    assert.ok(covered.has(ext), `no ${peer} case for ${ext}`);
  }
}

/**
 * An H.264 file subsession whose first PLAY waits (at most 10 s) until `players` clients have
 * played: players spawned together start up to a second apart, and a late joiner of a shared
 * stream rightly misses what went before it; gated, all of them watch from the first frame.
 */
export function gatedH264Subsession(players: number): typeof H264VideoFileServerMediaSubsession {
  let release!: () => void;
  const allPlaying = new Promise<void>((resolve) => (release = resolve));
  let plays = 0;
  return class GatedSubsession extends H264VideoFileServerMediaSubsession {
    override async startStream(stream: Parameters<H264VideoFileServerMediaSubsession['startStream']>[0]) {
      if (++plays >= players) release();
      await Promise.race([allPlaying, new Promise((r) => setTimeout(r, 10_000).unref())]);
      return super.startStream(stream);
    }
  };
}
