// Test helpers for the relay: a virtual-clock relay from SDP text, interleaved readers that record
// what they are sent, and RTP/H.26x payload builders.
import { VirtualTaskScheduler } from '@dorsvr/scheduler';
import {
  parseRTCP,
  parseRTPHeader,
  parseSDP,
  RelayServerMediaSession,
  type ParsedRTPPacket,
  type RelayServerMediaSessionOptions,
  type RelayTrack,
  type RTCPPacket,
  type ServerMediaStream,
  type StreamStartInfo,
} from '@dorsvr/livemedia';

/** An RTSP connection as the relay sees it: records every interleaved packet, by channel. */
export class FakeConnection {
  readonly channels = new Map<number, Uint8Array[]>();
  /** When false, sends are refused (a full queue). */
  accept = true;
  sendInterleaved(channel: number, chunks: readonly Uint8Array[]): boolean {
    if (!this.accept) return false;
    let n = 0;
    for (const c of chunks) n += c.length;
    const out = new Uint8Array(n);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    let list = this.channels.get(channel);
    if (!list) this.channels.set(channel, (list = []));
    list.push(out);
    return true;
  }
  rtp(channel = 0): Uint8Array[] {
    return this.channels.get(channel) ?? [];
  }
  parsedRTP(channel = 0): ParsedRTPPacket[] {
    return this.rtp(channel).map((p) => parseRTPHeader(p));
  }
  rtcp(channel = 1): RTCPPacket[][] {
    return (this.channels.get(channel) ?? []).map((p) => parseRTCP(p));
  }
}

export interface Relay {
  scheduler: VirtualTaskScheduler;
  sms: RelayServerMediaSession;
  track: RelayTrack;
}

export function relayFromSDP(sdp: string, options: Partial<RelayServerMediaSessionOptions> = {}): Relay {
  const scheduler = new VirtualTaskScheduler(1_000_000);
  const sms = new RelayServerMediaSession('pub', parseSDP(sdp), { scheduler, ...options });
  return { scheduler, sms, track: sms.tracks[0]! };
}

export interface TCPReader {
  conn: FakeConnection;
  stream: ServerMediaStream;
}

let sessionCounter = 0;

export async function tcpReader(track: RelayTrack, conn = new FakeConnection(), rtpChannel = 0): Promise<TCPReader> {
  const stream = await track.subsession.getStreamParameters(`s${++sessionCounter}`, {
    mode: 'tcp',
    channel: conn,
    rtpChannel,
    rtcpChannel: rtpChannel + 1,
  });
  return { conn, stream };
}

/** PLAY: startStream, then the scheduler's next turn (when the reader is activated). */
export async function play(r: Relay | { scheduler: VirtualTaskScheduler }, track: RelayTrack, stream: ServerMediaStream): Promise<StreamStartInfo> {
  const info = await track.subsession.startStream(stream);
  r.scheduler.advance(0);
  return info;
}

export interface Pkt {
  seq: number;
  ts: number;
  payload: Uint8Array | number[];
  pt?: number;
  ssrc?: number;
  marker?: boolean;
  csrcs?: number[];
  extension?: { profile: number; words: number[] };
  padding?: number;
}

/** An RTP packet byte by byte (RFC 3550 5.1), with CSRCs, extension and padding when asked. */
export function rtpPacket(p: Pkt): Uint8Array {
  const payload = p.payload instanceof Uint8Array ? p.payload : Uint8Array.from(p.payload);
  const cc = p.csrcs?.length ?? 0;
  const ext = p.extension ? 4 + p.extension.words.length * 4 : 0;
  const pad = p.padding ?? 0;
  const b = new Uint8Array(12 + cc * 4 + ext + payload.length + pad);
  const v = new DataView(b.buffer);
  b[0] = 0x80 | (pad ? 0x20 : 0) | (p.extension ? 0x10 : 0) | cc;
  b[1] = (p.marker ? 0x80 : 0) | (p.pt ?? 96);
  v.setUint16(2, p.seq & 0xffff);
  v.setUint32(4, p.ts >>> 0);
  v.setUint32(8, (p.ssrc ?? 0x11223344) >>> 0);
  let off = 12;
  for (const c of p.csrcs ?? []) {
    v.setUint32(off, c);
    off += 4;
  }
  if (p.extension) {
    v.setUint16(off, p.extension.profile);
    v.setUint16(off + 2, p.extension.words.length);
    off += 4;
    for (const w of p.extension.words) {
      v.setUint32(off, w);
      off += 4;
    }
  }
  b.set(payload, off);
  off += payload.length;
  if (pad) b[b.length - 1] = pad;
  return b;
}

// H.264 NAL units and RTP payloads (RFC 6184).
export const H264 = {
  sps: Uint8Array.from([0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x01, 0x40, 0x7b, 0x20]),
  pps: Uint8Array.from([0x68, 0xce, 0x3c, 0x80]),
  /** A P slice (non-IDR), single NAL unit packet. */
  p: (n = 1): Uint8Array => Uint8Array.from([0x41, 0x9a, n & 0xff, 0x11, 0x22]),
  /** An IDR slice, first of its picture. */
  idr: Uint8Array.from([0x65, 0x88, 0x84, 0x00, 0x33]),
  /** An IDR slice that is not the first of its picture (first_mb_in_slice ≠ 0). */
  idrSecondSlice: Uint8Array.from([0x65, 0x41, 0x84, 0x00, 0x33]),
  fuaStart: Uint8Array.from([0x7c, 0x85, 0x88, 0x84, 0x01, 0x02]),
  fuaMiddle: Uint8Array.from([0x7c, 0x05, 0x03, 0x04]),
  fuaEnd: Uint8Array.from([0x7c, 0x45, 0x05, 0x06]),
  stapA(...nals: Uint8Array[]): Uint8Array {
    const parts: number[] = [0x78];
    for (const n of nals) parts.push(n.length >> 8, n.length & 0xff, ...n);
    return Uint8Array.from(parts);
  },
};

// H.265 NAL units and RTP payloads (RFC 7798).
export const H265 = {
  vps: Uint8Array.from([0x40, 0x01, 0x0c, 0x01, 0xff, 0xff]),
  sps: Uint8Array.from([0x42, 0x01, 0x01, 0x01, 0x60, 0x00]),
  pps: Uint8Array.from([0x44, 0x01, 0xc1, 0x72, 0xb4]),
  trail: Uint8Array.from([0x02, 0x01, 0xd0, 0x11, 0x22]),
  /** IDR_W_RADL (19), first slice segment. */
  idr: Uint8Array.from([0x26, 0x01, 0xaf, 0x09, 0x40]),
  /** FU (49) of a CRA (21) picture: start fragment. */
  fuStartCRA: Uint8Array.from([0x62, 0x01, 0x80 | 21, 0xaf, 0x01, 0x02]),
  fuEndCRA: Uint8Array.from([0x62, 0x01, 0x40 | 21, 0x03, 0x04]),
};

export function b64(u: Uint8Array): string {
  return Buffer.from(u).toString('base64');
}

/** The SDP of a one-track H.264 publisher (camera) with {@link H264}'s parameter sets: `streamid=0`, payload type 96. */
export const H264_CAMERA_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=cam',
  't=0 0',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  `a=fmtp:96 packetization-mode=1;sprop-parameter-sets=${b64(H264.sps)},${b64(H264.pps)}`,
  'a=control:streamid=0',
  '',
].join('\r\n');
