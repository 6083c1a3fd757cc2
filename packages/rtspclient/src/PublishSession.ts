import type { TaskScheduler } from '@dorsvr/scheduler';
import { parseSDP, resolveControlURL, type SDPSessionDescription } from '@dorsvr/livemedia';
import { PublishTrack } from './PublishTrack.js';

/**
 * A session description we announced (ANNOUNCE) to publish: its {@link PublishTrack}s, one per
 * `m=` section, with SETUP URLs resolved against the announced URL (RFC 2326: the ANNOUNCE URL is
 * the base of a published description's relative `a=control`).
 */
export class PublishSession {
  /** The SDP text as sent. */
  readonly sdpText: string;
  /** The parsed SDP. */
  readonly sdp: SDPSessionDescription;
  /** The URL announced to (what control URLs are resolved against). */
  readonly baseURL: string;
  /** The aggregate control URL, for RECORD and TEARDOWN of the whole session. */
  readonly controlURL: string;
  /** One per `m=` section, in SDP order. */
  readonly tracks: readonly PublishTrack[];

  /** Parses `sdp` (throws `ERR_SDP_PARSE` for non-SDP). */
  constructor(sdp: string, baseURL: string, scheduler: TaskScheduler) {
    this.sdpText = sdp;
    this.sdp = parseSDP(sdp);
    this.baseURL = baseURL;
    this.controlURL = resolveControlURL(baseURL, this.sdp.control ?? '*');
    this.tracks = this.sdp.media.map((m) => new PublishTrack(m, baseURL, scheduler));
  }
}
