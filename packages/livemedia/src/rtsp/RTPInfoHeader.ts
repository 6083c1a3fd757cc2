import { DorsvrError } from '@dorsvr/scheduler';

/** One stream's entry in an `RTP-Info:` header (RFC 2326 section 12.33). */
export interface RTPInfoEntry {
  /** Track URL (absolute, as live555 sends it; may be relative from other servers). */
  url: string;
  /** Sequence number of the first packet after PLAY (0–65535). */
  seq?: number | undefined;
  /** RTP timestamp matching the PLAY range start, unsigned 32-bit. */
  rtptime?: number | undefined;
  /** `ssrc=` (RTSP 2.0 servers), unsigned 32-bit. */
  ssrc?: number | undefined;
}

function bad(message: string): DorsvrError {
  return new DorsvrError('ERR_RTSP_RTP_INFO', message, { status: 400 });
}

function parseUint(name: string, v: string, max: number): number {
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t) || Number(t) > max) throw bad(`RTP-Info ${name}=${JSON.stringify(t.slice(0, 20))} is out of range`);
  return Number(t);
}

/**
 * Parses `RTP-Info: url=…;seq=…;rtptime=…, url=…`. URLs may themselves contain `;` or `,`:
 * entries split only before `url=`, and parameters only before known names. Entries missing
 * `seq` or `rtptime` are kept (servers omit them). Throws `ERR_RTSP_RTP_INFO` for bad numbers.
 */
export function parseRTPInfoHeader(value: string): RTPInfoEntry[] {
  const out: RTPInfoEntry[] = [];
  for (const raw of value.split(/,(?=\s*url\s*=)/i)) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const parts = entry.split(/;(?=\s*(?:url|seq|rtptime|ssrc)\s*=)/i);
    const e: RTPInfoEntry = { url: '' };
    let hasUrl = false;
    for (const p of parts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const name = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim();
      if (name === 'url') {
        e.url = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
        hasUrl = true;
      } else if (name === 'seq') e.seq = parseUint(name, v, 0xffff);
      else if (name === 'rtptime') e.rtptime = parseUint(name, v, 0xffffffff);
      else if (name === 'ssrc') {
        if (!/^[0-9A-Fa-f]{1,8}$/.test(v)) throw bad(`RTP-Info ssrc=${JSON.stringify(v.slice(0, 20))} is not hexadecimal`);
        e.ssrc = parseInt(v, 16) >>> 0;
      }
    }
    if (!hasUrl) throw bad(`RTP-Info entry without url: ${JSON.stringify(entry.slice(0, 80))}`);
    out.push(e);
  }
  return out;
}

/** Formats `url=…;seq=…;rtptime=…` entries, comma-separated; rtptime as unsigned 32-bit. */
export function formatRTPInfoHeader(entries: readonly RTPInfoEntry[]): string {
  return entries
    .map((e) => {
      let s = `url=${e.url}`;
      if (e.seq !== undefined) s += `;seq=${e.seq & 0xffff}`;
      if (e.rtptime !== undefined) s += `;rtptime=${e.rtptime >>> 0}`;
      if (e.ssrc !== undefined) s += `;ssrc=${(e.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
      return s;
    })
    .join(',');
}
