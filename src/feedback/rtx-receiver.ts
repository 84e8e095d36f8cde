/**
 * Receiver side of RTX (RFC 4588): turns a retransmission back into the original media
 * packet. Which RTX SSRC and payload type belong to which media SSRC and payload type comes
 * from signalling (`a=ssrc-group:FID`, RFC 4588 8.7; `apt=`, RFC 4588 8.6) as a list of
 * mappings. RTX for an unknown SSRC or payload type, and packets without an OSN (padding-only
 * RTX used for probing, RFC 4588 8.2) are dropped and counted.
 */
import { checkInt, InvalidOptionError } from "../errors.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RTX_OSN_BYTES, unwrapRtx } from "../rtp/rtx.js";

/** One RTX stream/payload type and the media stream/payload type it repairs. */
export interface RtxMapping {
  rtxSsrc: number;
  rtxPayloadType: number;
  mediaSsrc: number;
  mediaPayloadType: number;
}

export interface RtxReceiverOptions {
  mappings: readonly RtxMapping[];
}

const key = (ssrc: number, pt: number): number => (ssrc >>> 0) * 128 + pt;

export class RtxReceiver {
  readonly name = "rtx-receiver";
  private readonly byKey = new Map<number, { ssrc: number; payloadType: number }>();
  private readonly ssrcs = new Set<number>();
  private nReceived = 0;
  private nRestored = 0;
  private nUnknownSsrc = 0;
  private nUnknownPayloadType = 0;
  private nPaddingOnly = 0;

  constructor(options: RtxReceiverOptions) {
    if (!Array.isArray(options.mappings)) throw new InvalidOptionError("Cannot create RtxReceiver: mappings must be an array");
    for (const [i, m] of options.mappings.entries()) {
      checkInt(`mappings[${i}].rtxSsrc`, m.rtxSsrc, 0, 0xffff_ffff);
      checkInt(`mappings[${i}].rtxPayloadType`, m.rtxPayloadType, 0, 127);
      checkInt(`mappings[${i}].mediaSsrc`, m.mediaSsrc, 0, 0xffff_ffff);
      checkInt(`mappings[${i}].mediaPayloadType`, m.mediaPayloadType, 0, 127);
      if (m.rtxSsrc === m.mediaSsrc) throw new InvalidOptionError(`Cannot use mappings[${i}]: the RTX SSRC must differ from the media SSRC (RFC 4588 5.3)`);
      this.byKey.set(key(m.rtxSsrc, m.rtxPayloadType), { ssrc: m.mediaSsrc, payloadType: m.mediaPayloadType });
      this.ssrcs.add(m.rtxSsrc);
    }
  }

  /** True when `ssrc` is a configured RTX stream (use it to demultiplex RTX from media). */
  isRtxSsrc(ssrc: number): boolean {
    return this.ssrcs.has(ssrc >>> 0);
  }

  /** The original media packet of an RTX packet, or undefined when dropped (counted). */
  push(rtx: RtpPacket): RtpPacket | undefined {
    this.nReceived++;
    const media = this.byKey.get(key(rtx.ssrc, rtx.payloadType));
    if (media === undefined) {
      if (this.ssrcs.has(rtx.ssrc)) this.nUnknownPayloadType++;
      else this.nUnknownSsrc++;
      return undefined;
    }
    if (rtx.payload.length < RTX_OSN_BYTES) {
      this.nPaddingOnly++;
      return undefined;
    }
    this.nRestored++;
    return unwrapRtx(rtx, media);
  }

  stats(): { received: number; restored: number; unknownSsrc: number; unknownPayloadType: number; paddingOnly: number } {
    return { received: this.nReceived, restored: this.nRestored, unknownSsrc: this.nUnknownSsrc, unknownPayloadType: this.nUnknownPayloadType, paddingOnly: this.nPaddingOnly };
  }
}
