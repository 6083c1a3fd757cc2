import type { TaskScheduler } from '@dorsvr/scheduler';
import { parseSDP, resolveControlURL, type RangeHeader, type SDPSessionDescription } from '@dorsvr/livemedia';
import { MediaSubsession } from './MediaSubsession.js';

/**
 * live555's MediaSession: a parsed session description (from DESCRIBE) and its
 * {@link MediaSubsession}s, one per `m=` section, with URLs resolved against the base URL.
 */
export class MediaSession {
  /** The SDP text as received. */
  readonly sdpText: string;
  /** The parsed SDP. */
  readonly sdp: SDPSessionDescription;
  /** What control URLs are resolved against (Content-Base, else Content-Location, else the request URL). */
  readonly baseURL: string;
  /** The aggregate control URL, for PLAY/PAUSE/TEARDOWN of the whole session. */
  readonly controlURL: string;
  /** `s=` session name. */
  readonly name: string;
  /** One per `m=` section, in SDP order. */
  readonly subsessions: MediaSubsession[];

  /** Parses `sdp` (tolerantly: see livemedia's parseSDP). Throws `ERR_SDP_PARSE` for non-SDP. */
  constructor(sdp: string | Uint8Array, baseURL: string, scheduler: TaskScheduler) {
    this.sdpText = typeof sdp === 'string' ? sdp : Buffer.from(sdp.buffer, sdp.byteOffset, sdp.byteLength).toString('utf8');
    this.sdp = parseSDP(this.sdpText);
    this.baseURL = baseURL;
    this.controlURL = resolveControlURL(baseURL, this.sdp.control ?? '*');
    this.name = this.sdp.name;
    this.subsessions = this.sdp.media.map((m) => new MediaSubsession(m, baseURL, scheduler));
  }

  /** The play range the SDP announces (`a=range`, session level else the first media's), if any. */
  get range(): RangeHeader | undefined {
    return this.sdp.range ?? this.sdp.media.find((m) => m.range !== undefined)?.range;
  }

  /** Duration in seconds from an `npt` range with an end, else undefined (live). */
  get durationSeconds(): number | undefined {
    const r = this.range;
    if (r?.unit !== 'npt' || r.end === undefined) return undefined;
    return r.end - (typeof r.start === 'number' ? r.start : 0);
  }
}
