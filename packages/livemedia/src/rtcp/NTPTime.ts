/**
 * A 64-bit NTP timestamp (RFC 3550 §4) as two unsigned 32-bit halves: whole seconds since
 * 1900-01-01 and the binary fraction of a second. Kept as two numbers, not a bigint, so the hot
 * path never allocates a bigint and the halves map directly onto the SR wire fields.
 */
export interface NTPTimestamp {
  /** Seconds since 1900-01-01 00:00 UTC, modulo 2^32 (unsigned). */
  readonly seconds: number;
  /** Fraction of a second in units of 2^-32 s (unsigned). */
  readonly fraction: number;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
export const NTP_UNIX_EPOCH_OFFSET_SECONDS = 2_208_988_800;

const TWO_32 = 4_294_967_296;

/**
 * NTP timestamp for a wall-clock time in microseconds since the Unix epoch (what
 * `TaskScheduler.wallClockUs()` returns). Sub-microsecond precision is not needed by RTCP.
 */
export function ntpFromUnixMicros(unixUs: number): NTPTimestamp {
  const totalUs = Math.floor(unixUs);
  const secs = Math.floor(totalUs / 1_000_000);
  const us = totalUs - secs * 1_000_000;
  const seconds = (((secs + NTP_UNIX_EPOCH_OFFSET_SECONDS) % TWO_32) + TWO_32) % TWO_32;
  // us < 1e6, so us * 2^32 / 1e6 < 2^32: exact enough in a double, floor keeps it a uint32.
  const fraction = Math.floor((us * TWO_32) / 1_000_000);
  return { seconds, fraction };
}

/**
 * Microseconds since the Unix epoch for an NTP timestamp (era 0, i.e. 1900–2036; a peer's clock in
 * a later era wraps, which RFC 3550 leaves to the application). Rounded to the nearest µs.
 */
export function unixMicrosFromNTP(ntp: NTPTimestamp): number {
  return (ntp.seconds - NTP_UNIX_EPOCH_OFFSET_SECONDS) * 1_000_000 + Math.round((ntp.fraction * 1_000_000) / TWO_32);
}

/**
 * The middle 32 bits of an NTP timestamp (low 16 bits of the seconds, high 16 of the fraction): the
 * "compact" form RTCP uses for LSR and for computing round-trip times, in units of 1/65536 s.
 */
export function ntpMiddle32(ntp: NTPTimestamp): number {
  return (((ntp.seconds & 0xffff) << 16) | (ntp.fraction >>> 16)) >>> 0;
}
