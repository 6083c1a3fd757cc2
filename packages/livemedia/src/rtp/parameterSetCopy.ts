/**
 * The parameter set to keep after seeing `nal`: `kept` itself when `nal` holds the same bytes (streams
 * repeat them before every key frame), else a copy of `nal` (its memory may be a recycled chunk's).
 */
export function parameterSetCopy(kept: Uint8Array | undefined, nal: Uint8Array): Uint8Array {
  if (kept !== undefined && kept.length === nal.length) {
    let i = 0;
    while (i < nal.length && kept[i] === nal[i]) i++;
    if (i === nal.length) return kept;
  }
  return Uint8Array.prototype.slice.call(nal);
}
