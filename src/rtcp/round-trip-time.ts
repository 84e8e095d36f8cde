/** Round-trip time from a report block (RFC 3550 6.4.1, the A − LSR − DLSR figure). */
import type { ReportBlock } from "./report-block.js";
import { compactNtpToUs, ntpFromUnixUs, ntpToCompact } from "./ntp-time.js";

/**
 * The RTT in µs measured by the sender of an SR when `block` (about its stream) arrives at
 * `arrivalWallTimeUs` (µs since the Unix epoch, the same clock its SR NTP timestamps use):
 * A − LSR − DLSR in compact NTP. Undefined when the block carries no LSR (no SR received
 * yet); 0 when clock steps make the result negative.
 */
export function roundTripTimeUs(block: ReportBlock, arrivalWallTimeUs: number): number | undefined {
  if (block.lastSenderReport === 0) return undefined;
  const ntp = ntpFromUnixUs(arrivalWallTimeUs);
  const a = ntpToCompact(ntp.seconds, ntp.fraction);
  const rtt = (a - block.lastSenderReport - block.delaySinceLastSenderReport) >>> 0;
  if (rtt >= 0x8000_0000) return 0; // negative in 16.16 serial arithmetic
  return compactNtpToUs(rtt);
}
