/**
 * Turns a NAL unit's bytes into its RBSP by removing emulation-prevention bytes (the 0x03 in every
 * `00 00 03`). Returns `nal` itself (no copy) when it holds none. `maxBytes` stops early: parsers of
 * slice headers need only the first few bytes of a large NAL.
 */
export function removeEmulationPrevention(nal: Uint8Array, maxBytes = Infinity): Uint8Array {
  const len = Math.min(nal.length, maxBytes);
  let zeros = 0;
  let first = -1;
  for (let i = 0; i < len; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      first = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (first < 0) return len === nal.length ? nal : nal.subarray(0, len);
  const out = new Uint8Array(len);
  out.set(nal.subarray(0, first), 0);
  let o = first;
  zeros = 0;
  for (let i = first + 1; i < len; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

/**
 * The inverse of {@link removeEmulationPrevention}: inserts 0x03 wherever two zero bytes are followed
 * by a byte ≤ 3 (and after a trailing `00 00`), so the result contains no start code.
 */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (zeros >= 2) out.push(3);
  return Uint8Array.from(out);
}
