/** Reads VP8 RTP payloads (RFC 7741 4.2, 4.3). */
import { emptyDepacketizedPayload, type CodecDepacketizer, type DepacketizedPayload } from "./codec-payload-format.js";
import { Vp8PayloadDescriptor } from "./vp8-payload-descriptor.js";

export class Vp8Depacketizer implements CodecDepacketizer {
  private readonly info = emptyDepacketizedPayload();

  parse(payload: Uint8Array): DepacketizedPayload {
    const d = Vp8PayloadDescriptor.parse(payload);
    const info = this.info;
    const data = payload.subarray(d.headerLength);
    info.startOfFrame = d.startOfFrame;
    // RFC 7741 4.3: the VP8 payload header (and its P bit) starts the first partition.
    info.keyframe = d.startOfFrame && Vp8PayloadDescriptor.isKeyframe(data);
    info.data = data;
    info.pictureId = d.pictureId;
    info.pictureIdModulus = d.pictureIdBits === 7 ? 0x80 : 0x8000;
    info.pDiffs = null;
    // Temporal layers only count when both the index and the base-layer counter are sent.
    const layered = d.tid >= 0 && d.tl0PicIdx >= 0;
    info.tid = layered ? d.tid : -1;
    info.tl0PicIdx = layered ? d.tl0PicIdx : -1;
    info.layerSync = layered && d.layerSync;
    const size = info.keyframe ? Vp8PayloadDescriptor.keyframeSize(data) : undefined;
    info.width = size?.width ?? 0;
    info.height = size?.height ?? 0;
    return info;
  }
}
