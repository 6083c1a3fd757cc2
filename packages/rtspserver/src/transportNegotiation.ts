import type { TransportSpec } from '@dorsvr/livemedia';

/** Which way a SETUP's stream flows: the server sends (`play`) or the client does (`record`). */
export type TransportDirection = 'play' | 'record';

/**
 * The first transport-spec of a SETUP the server can serve in `direction`: unicast RTP/AVP (or
 * AVPF) over UDP with a client port pair we can send to (see `usableClientPort`), or over TCP interleaved; with `multicast` (the server has
 * multicast configured and the track can be sent so), also `RTP/AVP;multicast` to play (UDP; the
 * server picks group, ports and TTL, whatever the client suggested). `mode=record` (also
 * `receive`, which the parser reads as `RECORD`) asks for `record`; no mode means `play`.
 */
export function chooseTransport(
  specs: readonly TransportSpec[],
  direction: TransportDirection,
  options: { multicast?: boolean } = {},
): TransportSpec | undefined {
  return specs.find(
    (t) =>
      (t.profile === 'RTP/AVP' || t.profile === 'RTP/AVPF') &&
      (direction === 'record' ? t.mode === 'RECORD' : t.mode === undefined || t.mode === 'PLAY') &&
      (t.delivery === 'multicast'
        ? options.multicast === true && direction === 'play' && t.lowerTransport === 'UDP'
        : t.lowerTransport === 'TCP' || (usableClientPort(t.clientPort) ?? direction === 'record')),
  );
}

/**
 * Whether a UDP spec's `client_port` names two ports we can send to: both 1‥65535, the RTCP port
 * being the second of the pair or, when absent, the RTP port + 1 (`client_port=65535` alone would
 * mean 65536, `client_port=5000-0` port 0). Undefined when the spec has none.
 */
function usableClientPort(p: TransportSpec['clientPort']): boolean | undefined {
  if (p === undefined) return undefined;
  const rtcp = p.rtcp ?? p.rtp + 1;
  return p.rtp > 0 && rtcp > 0 && rtcp <= 65535;
}

/** The direction a SETUP's transport-specs ask for: `record` when any says `mode=record`. */
export function transportDirection(specs: readonly TransportSpec[]): TransportDirection {
  return specs.some((t) => t.mode === 'RECORD') ? 'record' : 'play';
}

/**
 * Interleaved channels for a TCP SETUP: the pair asked for when both are free on the connection
 * (`inUse`), else the lowest free even pair; undefined when none is left.
 */
export function pickInterleavedChannels(inUse: ReadonlyMap<number, unknown>, spec: TransportSpec): [number, number] | undefined {
  const want = spec.interleaved;
  if (want !== undefined) {
    const rtp = want.rtp;
    const rtcp = want.rtcp ?? rtp + 1;
    if (rtcp <= 255 && !inUse.has(rtp) && !inUse.has(rtcp) && rtp !== rtcp) return [rtp, rtcp];
  }
  for (let ch = 0; ch + 1 <= 255; ch += 2) {
    if (!inUse.has(ch) && !inUse.has(ch + 1)) return [ch, ch + 1];
  }
  return undefined;
}
