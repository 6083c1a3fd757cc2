/**
 * Splits a buffer on Annex-B start codes (00 00 01 / 00 00 00 01); returns it whole when it has none.
 */
function splitAnnexB(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  const n = buf.length;
  let found = false;
  while (i + 2 < n) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      found = true;
      if (start >= 0) {
        let end = i;
        if (end > start && buf[end - 1] === 0) end--; // 4-byte start code
        if (end > start) out.push(buf.subarray(start, end));
      }
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (!found) return buf.length > 0 ? [buf] : [];
  if (start >= 0 && start < n) out.push(buf.subarray(start));
  return out;
}

/**
 * Decodes `sprop-parameter-sets` (H.264, RFC 6184) or `sprop-vps`/`sprop-sps`/`sprop-pps`
 * (H.265, RFC 7798): comma-separated base64 NAL units. Tolerant of what cameras send: empty
 * entries, whitespace, missing base64 padding, URL-safe base64, and Annex-B start codes inside an
 * entry (split into separate NAL units). Never throws; garbage yields whatever bytes decode.
 */
export function parseSpropParameterSets(value: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const part of value.split(',')) {
    const b64 = part.replace(/\s+/g, '');
    if (b64.length === 0) continue;
    const bytes = new Uint8Array(Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
    for (const nal of splitAnnexB(bytes)) out.push(nal);
  }
  return out;
}

/** Encodes NAL units (without start codes) as a comma-separated base64 `sprop-…` value. */
export function formatSpropParameterSets(nals: readonly Uint8Array[]): string {
  return nals.map((n) => Buffer.from(n.buffer, n.byteOffset, n.byteLength).toString('base64')).join(',');
}
