/** Reads VP9 RTP payloads (RFC 9628 4.2). */
import { emptyDepacketizedPayload, type CodecDepacketizer, type DepacketizedPayload } from "./codec-payload-format.js";
import { Vp9PayloadDescriptor, vp9KeyframeSize } from "./vp9-payload-descriptor.js";

export class Vp9Depacketizer implements CodecDepacketizer {
  private readonly info = emptyDepacketizedPayload();

  parse(payload: Uint8Array): DepacketizedPayload {
    const d = Vp9PayloadDescriptor.parse(payload);
    const info = this.info;
    const data = payload.subarray(d.headerLength);
    info.startOfFrame = d.beginningOfFrame;
    info.keyframe = d.isKeyframeStart;
    info.data = data;
    info.pictureId = d.pictureId;
    info.pictureIdModulus = d.pictureIdBits === 7 ? 0x80 : 0x8000;
    info.pDiffs = d.flexibleMode && d.pictureId >= 0 ? d.pDiffs : null;
    info.width = 0;
    info.height = 0;
    const res = d.ss?.resolutions;
    if (res && res.length > 0) {
      // The highest spatial layer is what the decoder outputs.
      const top = res[res.length - 1]!;
      info.width = top.width;
      info.height = top.height;
    } else if (info.keyframe) {
      const size = vp9KeyframeSize(data);
      if (size) {
        info.width = size.width;
        info.height = size.height;
      }
    }
    return info;
  }
}
