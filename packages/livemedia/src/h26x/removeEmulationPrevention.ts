/**
 * Turns a NAL unit's bytes into its RBSP by removing emulation-prevention bytes (the 0x03 in every
 * `00 00 03`). Returns `nal` itself (no copy) when it holds none. `maxBytes` stops early: parsers of
 * slice headers need only the first few bytes of a large NAL.
 */
export function removeEmulationPrevention(nal: Uint8Array, maxBytes = Infinity): Uint8Array {
  const len = Math.min(nal.length, maxBytes);
  const first = findEmulationPrevention(nal, 0, len);
  if (first < 0) return len === nal.length ? nal : nal.subarray(0, len);
  const out = new Uint8Array(len);
  out.set(nal.subarray(0, first), 0);
  let o = first;
  let zeros = 0;
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
 * Index of the first emulation-prevention byte (the 0x03 of `00 00 03`) in `bytes[start, end)`,
 * counting zeros from `start`, or -1 when there is none: those bytes are then the RBSP itself.
 */
export function findEmulationPrevention(bytes: Uint8Array, start: number, end: number): number {
  let zeros = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (zeros >= 2 && b === 3) return i;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return -1;
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
