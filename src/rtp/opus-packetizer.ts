/** Opus RTP payloads: exactly one Opus packet per RTP packet, no descriptor (RFC 7587 4.2). */
import type { EncodedFrame } from "../codec/encoded-frame.js";
import type { CodecPacketizer } from "./codec-payload-format.js";

export class OpusPacketizer implements CodecPacketizer {
  readonly maxDescriptorBytes = 0;

  /** One payload, the frame bytes themselves (a view, no copy); never split (RFC 7587 4.2). */
  packetize(frame: EncodedFrame, _maxPayloadBytes: number): Uint8Array[] {
    return [frame.data];
  }
}
