import type { RangeHeader } from '../rtsp/RangeHeader.js';

/** `o=` line. `address` is undefined when a server omitted it (some cameras do). */
export interface SDPOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string | undefined;
}

/** `c=` line: `IN IP4 224.2.1.1/127/3` → address, ttl 127, 3 addresses. */
export interface SDPConnection {
  netType: string;
  addrType: string;
  address: string;
  ttl?: number | undefined;
  numAddresses?: number | undefined;
}

/** `b=<type>:<value>` (value in kbit/s for AS and CT). */
export interface SDPBandwidth {
  type: string;
  value: number;
}

/** `t=` line (NTP seconds, 0 0 = unbounded) with its `r=` repeat lines as sent. */
export interface SDPTiming {
  start: string;
  stop: string;
  repeats: string[];
}

/** `a=name` or `a=name:value`, in order. */
export interface SDPAttribute {
  name: string;
  /** Undefined for a property attribute such as `a=recvonly`. */
  value: string | undefined;
}

/** `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]` (or the static default of a payload type). */
export interface SDPRtpMap {
  payloadType: number;
  /** Encoding name as sent (compare case-insensitively: `H264`, `MPEG4-GENERIC`, `mpeg4-generic`). */
  encodingName: string;
  clockRate: number;
  /** Audio channels (the encoding parameters), when given. */
  channels?: number | undefined;
}

/** `a=fmtp:<pt> k=v;k=v`: parameters by lower-case name, plus the raw text after the payload type. */
export interface SDPFmtp {
  payloadType: number;
  parameters: Record<string, string>;
  raw: string;
}

/** Stream direction (`a=sendrecv` etc.), from the media or else the session level. */
export type SDPDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One `m=` section. */
export interface SDPMediaDescription {
  /** `video`, `audio`, `application`, `text`, … */
  type: string;
  port: number;
  /** The `/2` of `m=audio 5000/2 …`. */
  portCount?: number | undefined;
  /** `RTP/AVP`, `RTP/AVP/TCP`, `RTP/SAVP`, … */
  protocol: string;
  /** Formats as sent (payload type numbers for RTP). */
  formats: string[];
  /** The numeric formats, in order (several payload types may share one `m=` line). */
  payloadTypes: number[];
  info?: string | undefined;
  connections: SDPConnection[];
  bandwidths: SDPBandwidth[];
  attributes: SDPAttribute[];
  /** rtpmap for each payload type, from `a=rtpmap` or the RFC 3551 static table. */
  rtpmaps: SDPRtpMap[];
  fmtps: SDPFmtp[];
  /** `a=control` value, if any. */
  control?: string | undefined;
  /** Direction from `a=sendrecv/sendonly/recvonly/inactive` here or at session level (default sendrecv). */
  direction: SDPDirection;
  /** `a=range` parsed, when present and valid. */
  range?: RangeHeader | undefined;
  /** Lines this parser did not recognise, kept as sent. */
  unknownLines: string[];
}

/** A parsed session description (RFC 4566). */
export interface SDPSessionDescription {
  version: number;
  origin?: SDPOrigin | undefined;
  name: string;
  info?: string | undefined;
  uri?: string | undefined;
  emails: string[];
  phones: string[];
  connection?: SDPConnection | undefined;
  bandwidths: SDPBandwidth[];
  timings: SDPTiming[];
  attributes: SDPAttribute[];
  /** Session-level `a=control` (often `*`). */
  control?: string | undefined;
  /** Session-level direction attribute, if given. */
  direction?: SDPDirection | undefined;
  /** Session-level `a=range`, when present and valid. */
  range?: RangeHeader | undefined;
  media: SDPMediaDescription[];
  /** Session-level lines this parser did not recognise (also `z=`, `k=`), kept as sent. */
  unknownLines: string[];
}
