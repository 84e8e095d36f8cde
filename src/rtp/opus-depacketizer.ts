/** Reads Opus RTP payloads: the payload is one Opus packet (RFC 7587 4.2). */
import { emptyDepacketizedPayload, type CodecDepacketizer, type DepacketizedPayload } from "./codec-payload-format.js";

export class OpusDepacketizer implements CodecDepacketizer {
  private readonly info = emptyDepacketizedPayload();

  parse(payload: Uint8Array): DepacketizedPayload {
    const info = this.info;
    info.startOfFrame = true;
    info.keyframe = true;
    info.data = payload;
    return info;
  }
}
