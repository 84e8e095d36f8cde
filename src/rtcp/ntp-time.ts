/**
 * Conversions between µs and NTP time (RFC 3550 4): the 64-bit timestamp (seconds since
 * 1900-01-01 and a 32-bit fraction) and the compact 32-bit form (middle 32 bits, 16.16
 * seconds) used by LSR/DLSR (RFC 3550 6.4.1).
 */

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_EPOCH_OFFSET_S = 2_208_988_800;

const TWO_32 = 4_294_967_296;

export interface NtpTimestamp {
  /** Seconds since 1900, modulo 2^32 (era 0 until 2036, then era 1). */
  seconds: number;
  /** Fraction of a second in units of 2^-32 s. */
  fraction: number;
}

/** The NTP timestamp of a wall time given in µs since the Unix epoch. */
export function ntpFromUnixUs(wallTimeUs: number): NtpTimestamp {
  const wholeS = Math.floor(wallTimeUs / 1e6);
  const subUs = wallTimeUs - wholeS * 1e6;
  let fraction = Math.round((subUs * TWO_32) / 1e6);
  let seconds = wholeS + NTP_UNIX_EPOCH_OFFSET_S;
  if (fraction >= TWO_32) {
    fraction -= TWO_32;
    seconds += 1;
  }
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/**
 * µs since the Unix epoch of an NTP timestamp. Seconds with the top bit clear are read as
 * era 1 (after 2036-02-07), as RFC 4330 3 suggests.
 */
export function ntpToUnixUs(seconds: number, fraction: number): number {
  const s = seconds >>> 0;
  const era = s < 0x8000_0000 ? TWO_32 : 0;
  return (s + era - NTP_UNIX_EPOCH_OFFSET_S) * 1e6 + Math.round(((fraction >>> 0) * 1e6) / TWO_32);
}

/** The middle 32 bits of an NTP timestamp (RFC 3550 6.4.1, the LSR field). */
export function ntpToCompact(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/** A duration in µs as compact NTP (units of 1/65536 s, the DLSR field), clamped to 32 bits. */
export function usToCompactNtp(durationUs: number): number {
  if (!(durationUs > 0)) return 0;
  return Math.min(0xffff_ffff, Math.round((durationUs * 65536) / 1e6));
}

/** A compact NTP duration (1/65536 s units) in µs. */
export function compactNtpToUs(compact: number): number {
  return ((compact >>> 0) * 1e6) / 65536;
}
