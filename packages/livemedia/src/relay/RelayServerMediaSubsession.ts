import type { SDPMediaInit } from '../sdp/formatSDP.js';
import {
  ServerMediaSubsession,
  type ClientTransport,
  type ServerMediaStream,
  type ServerDefaults,
  type StreamStartInfo,
} from '../server/ServerMediaSubsession.js';
import type { RelayTrack } from './RelayTrack.js';

/**
 * Attributes of the publisher's `m=` section that describe its own connection, not the stream,
 * and are not passed on to readers (our `a=control` and `a=range` replace the publisher's).
 */
const NOT_PASSED_ON = new Set([
  'control',
  'range',
  'sendrecv',
  'sendonly',
  'recvonly',
  'inactive',
  'ssrc',
  'ssrc-group',
  'rtcp',
  'rtcp-mux',
  'rtcp-rsize',
  'mid',
  'msid',
  'ice-ufrag',
  'ice-pwd',
  'ice-options',
  'candidate',
  'end-of-candidates',
  'fingerprint',
  'setup',
  'crypto',
  'tool',
]);

/**
 * The `ServerMediaSubsession` of one {@link RelayTrack}: what readers SETUP, PLAY, PAUSE and
 * TEARDOWN through an RTSP server's usual paths. Its SDP is the publisher's `m=` section (payload
 * types, `a=rtpmap`, `a=fmtp` and the codec's other attributes as they came, `b=AS`) with our
 * `a=control`; it is live (no duration, no seeking).
 */
export class RelayServerMediaSubsession extends ServerMediaSubsession {
  /** The track this subsession serves. */
  readonly track: RelayTrack;

  constructor(track: RelayTrack) {
    super();
    this.track = track;
  }

  override async sdpMedia(): Promise<SDPMediaInit> {
    const m = this.track.media;
    const rtpmap: string[] = [];
    const fmtp: string[] = [];
    const extra: string[] = [];
    for (const a of m.attributes) {
      const name = a.name.toLowerCase();
      if (NOT_PASSED_ON.has(name)) continue;
      const line = a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
      if (/[\x00-\x1f\x7f]/.test(line)) continue;
      if (name === 'rtpmap') rtpmap.push(line);
      else if (name === 'fmtp') fmtp.push(line);
      else extra.push(line);
    }
    const as = m.bandwidths.find((b) => b.type.toUpperCase() === 'AS');
    const media: SDPMediaInit = {
      mediaType: m.type,
      payloadType: m.payloadTypes,
      rtpmapLine: rtpmap.join('\r\n'),
      fmtpLine: fmtp.join('\r\n'),
      extraLines: extra,
      control: this.trackId,
    };
    if (as !== undefined && Number.isFinite(as.value) && as.value > 0) media.bandwidthKbps = as.value;
    return media;
  }

  /** Takes the server's `rtpPortRange` for the readers' port pairs unless the track has its own `portRange`. */
  override applyServerDefaults(defaults: ServerDefaults): void {
    this.track.setServerPortRange(defaults.rtpPortRange);
  }

  /** Live: no duration (`a=range:npt=now-`). */
  override durationSeconds(): number | undefined {
    return undefined;
  }

  override getStreamParameters(clientSessionId: string, transport: ClientTransport): Promise<ServerMediaStream> {
    return this.track.addReader(clientSessionId, transport);
  }

  override async startStream(stream: ServerMediaStream): Promise<StreamStartInfo> {
    return this.track.startReader(stream);
  }

  override pauseStream(stream: ServerMediaStream): void {
    this.track.pauseReader(stream);
  }

  /** A live stream cannot seek. */
  override seekStream(): number | null {
    return null;
  }

  /** Live: the play position is always "now", written as 0. */
  override currentNPT(): number {
    return 0;
  }

  override handleIncomingRTCP(stream: ServerMediaStream, packet: Uint8Array): void {
    this.track.readerRTCP(stream, packet);
  }

  override deleteStream(stream: ServerMediaStream): void {
    this.track.removeReader(stream);
  }

  /** The session is being removed: the track is closed (readers get their BYE now). */
  override close(): void {
    this.track.close();
  }
}
