/**
 * Split bytes that may hold Annex-B start codes (`00 00 01`, `00 00 00 01`) into NAL units. Some
 * cameras put start codes inside RTP payloads; a NAL unit can never contain `00 00 01` itself
 * (emulation prevention), so cutting there is safe. Bytes without a start code come back whole;
 * zero bytes before a start code (trailing_zero_8bits) and empty units are dropped. Views, no copies.
 */
export function splitAnnexB(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let nalStart = 0;
  let i = 0;
  const n = buf.length;
  while (i + 2 < n) {
    if (buf[i + 2]! > 1) {
      i += 3;
    } else if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      let end = i;
      while (end > nalStart && buf[end - 1] === 0) end--;
      if (end > nalStart) out.push(buf.subarray(nalStart, end));
      i += 3;
      nalStart = i;
    } else {
      i++;
    }
  }
  if (nalStart === 0) return n > 0 ? [buf] : [];
  let end = n;
  while (end > nalStart && buf[end - 1] === 0) end--;
  if (end > nalStart) out.push(buf.subarray(nalStart, end));
  return out;
}

/** True when `buf` holds an Annex-B start code anywhere. */
export function hasStartCode(buf: Uint8Array): boolean {
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i + 2]! > 1) {
      i += 2;
      continue;
    }
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) return true;
  }
  return false;
}
