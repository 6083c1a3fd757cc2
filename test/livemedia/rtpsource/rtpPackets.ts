// Test helper: RTP packets built byte by byte from the RFC 3550 §5.1 layout.
export interface TestRTP {
  seq: number;
  ts: number;
  marker?: boolean;
  pt?: number;
  ssrc?: number;
  payload: Uint8Array | number[];
}

export function rtp(p: TestRTP): Uint8Array {
  const payload = p.payload instanceof Uint8Array ? p.payload : Uint8Array.from(p.payload);
  const b = new Uint8Array(12 + payload.length);
  const ssrc = p.ssrc ?? 0x01020304;
  b[0] = 0x80;
  b[1] = ((p.marker ? 0x80 : 0) | (p.pt ?? 96)) & 0xff;
  b[2] = (p.seq >> 8) & 0xff;
  b[3] = p.seq & 0xff;
  b[4] = p.ts >>> 24;
  b[5] = (p.ts >>> 16) & 0xff;
  b[6] = (p.ts >>> 8) & 0xff;
  b[7] = p.ts & 0xff;
  b[8] = ssrc >>> 24;
  b[9] = (ssrc >>> 16) & 0xff;
  b[10] = (ssrc >>> 8) & 0xff;
  b[11] = ssrc & 0xff;
  b.set(payload, 12);
  return b;
}

/** Deterministic filler bytes that contain no 00 00 0x start-code prefix. */
export function filler(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = 1 + ((s >>> 16) % 255);
  }
  return out;
}
