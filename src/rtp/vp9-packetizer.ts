/** Splits VP9 frames into RTP payloads (RFC 9628 4.1, 4.2, 4.2.1); single spatial layer. */
import type { EncodedFrame } from "../codec/encoded-frame.js";
import { checkInt, checkOneOf } from "../errors.js";
import { balancedChunkSizes, type CodecPacketizer } from "./codec-payload-format.js";
import { Vp9PayloadDescriptor, vp9KeyframeSize, type Vp9ScalabilityStructure } from "./vp9-payload-descriptor.js";

export type Vp9Mode = "flexible" | "non-flexible";

export interface Vp9PacketizerOptions {
  /** Flexible mode (F=1, references as P_DIFF) or non-flexible (TL0PICIDX + SS picture group). Default "flexible". */
  mode?: Vp9Mode;
  /** PictureID width: 7 or 15 bits (default 15). */
  pictureIdBits?: 7 | 15;
  /** PictureID of the first frame (default 0). */
  initialPictureId?: number;
  /** TL0PICIDX of the first frame in non-flexible mode (default 0). */
  initialTl0PicIdx?: number;
}

/**
 * Every packet carries I=1 and the PictureID; B on the first packet of a frame, E on the last;
 * P=0 on keyframes. Keyframes carry the scalability structure with the resolution (Y=1) when
 * known from the frame or its uncompressed header. Delta frames reference the previous picture
 * (P_DIFF=1 in flexible mode; one-entry picture group with P_DIFF 1 in non-flexible mode).
 */
export class Vp9Packetizer implements CodecPacketizer {
  readonly maxDescriptorBytes = 3 + 2 + 3 + 1 + 4 + 1 + 2;
  readonly mode: Vp9Mode;
  private pictureId: number;
  private tl0PicIdx: number;
  /** PictureID of the last base-layer frame of a layered stream (flexible mode), or -1. */
  private basePictureId = -1;
  private readonly pictureIdBits: 7 | 15;
  private readonly desc: Vp9PayloadDescriptor;

  constructor(options: Vp9PacketizerOptions = {}) {
    this.mode = checkOneOf("vp9Mode", options.mode ?? "flexible", ["flexible", "non-flexible"]);
    this.pictureIdBits = Number(checkOneOf("pictureIdBits", String(options.pictureIdBits ?? 15), ["7", "15"])) as 7 | 15;
    this.pictureId = checkInt("initialPictureId", options.initialPictureId ?? 0, 0, this.pictureIdBits === 7 ? 0x7f : 0x7fff);
    this.tl0PicIdx = checkInt("initialTl0PicIdx", options.initialTl0PicIdx ?? 0, 0, 255);
    const flexible = this.mode === "flexible";
    this.desc = new Vp9PayloadDescriptor({ flexibleMode: flexible, pictureId: 0, pictureIdBits: this.pictureIdBits, tid: flexible ? -1 : 0, sid: 0 });
  }

  packetize(frame: EncodedFrame, maxPayloadBytes: number): Uint8Array[] {
    const data = frame.data;
    const d = this.desc;
    const key = frame.keyframe;
    const flexible = this.mode === "flexible";
    d.pictureId = this.pictureId;
    d.interPicturePredicted = !key;
    // A layered frame references the last base-layer frame: P_DIFF 2 for a base frame after an
    // upper one, 1 for the upper frame after its base (the encoder's two-layer pattern).
    const layer = flexible ? frame.temporalLayer : undefined;
    const modulus = this.pictureIdBits === 7 ? 0x80 : 0x8000;
    const toBase = this.basePictureId < 0 ? 1 : (this.pictureId - this.basePictureId + modulus) % modulus;
    d.pDiffs = flexible && !key ? [layer === undefined ? 1 : Math.min(127, Math.max(1, toBase))] : [];
    if (flexible) {
      d.tid = layer === undefined ? -1 : Math.min(7, layer);
      d.switchingUpPoint = layer !== undefined && layer > 0;
      // Without layers every frame is one the next may reference.
      if (layer === undefined || layer === 0 || key) this.basePictureId = this.pictureId;
    }
    d.tl0PicIdx = this.tl0PicIdx;
    let ss: Vp9ScalabilityStructure | null = null;
    if (key) {
      const size = frame.width !== undefined && frame.height !== undefined ? { width: frame.width, height: frame.height } : vp9KeyframeSize(data);
      ss = {
        numSpatialLayers: 1,
        resolutions: size ? [size] : null,
        pictureGroup: flexible ? null : [{ tid: 0, switchingUpPoint: false, pDiffs: [1] }],
      };
    }
    d.ss = ss;
    const firstH = d.byteLength;
    d.ss = null;
    const otherH = d.byteLength;
    const sizes = balancedChunkSizes(data.length, maxPayloadBytes, firstH, otherH);
    const out = new Array<Uint8Array>(sizes.length);
    let o = 0;
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i]!;
      const h = i === 0 ? firstH : otherH;
      d.beginningOfFrame = i === 0;
      d.endOfFrame = i === sizes.length - 1;
      d.ss = i === 0 ? ss : null;
      const p = new Uint8Array(h + n);
      d.serializeInto(p, 0);
      p.set(data.subarray(o, o + n), h);
      o += n;
      out[i] = p;
    }
    d.ss = null;
    this.pictureId = (this.pictureId + 1) & (this.pictureIdBits === 7 ? 0x7f : 0x7fff);
    this.tl0PicIdx = (this.tl0PicIdx + 1) & 0xff;
    return out;
  }
}
