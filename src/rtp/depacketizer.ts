/**
 * The Depacketizer (frame assembler) stage: RtpPacket in, EncodedFrame out
 * (RFC 7741 4.5, RFC 9628 4.5 / 5, RFC 7587 4.2).
 */
import type { CodecName, EncodedFrame } from "../codec/encoded-frame.js";
import { checkInt, checkOneOf, MalformedPacketError } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import type { CodecDepacketizer, DepacketizedPayload } from "./codec-payload-format.js";
import { OpusDepacketizer } from "./opus-depacketizer.js";
import type { RtpPacket } from "./rtp-packet.js";
import { Vp8Depacketizer } from "./vp8-depacketizer.js";
import { Vp9Depacketizer } from "./vp9-depacketizer.js";
import { SequenceUnwrapper } from "./wrap-around-unwrapper.js";

export interface DepacketizerOptions {
  codec: CodecName;
  /** Only packets of this payload type are used (others are counted and ignored). Default: any. */
  payloadType?: number;
}

/** How many decoded PictureIDs per source are remembered for VP9 flexible-mode references. */
const DECODED_HISTORY = 64;

class SourceState {
  readonly unwrapper = new SequenceUnwrapper();
  lastSeq = NaN;
  receivedAny = false;
  waitingForKeyframe = true;
  inFrame = false;
  frameTs = 0;
  frameKeyframe = false;
  framePictureId = -1;
  framePictureIdModulus = 0;
  framePDiffs: readonly number[] | null = null;
  frameTid = -1;
  frameTl0PicIdx = -1;
  frameLayerSync = false;
  readonly parts: Uint8Array[] = [];
  partsBytes = 0;
  /** Timestamp of the frame whose remaining packets are being discarded, or NaN. */
  discardTs = NaN;
  width = 0;
  height = 0;
  readonly decoded = new Array<number>(DECODED_HISTORY).fill(-1);
  decodedNext = 0;
  /** PictureID of the last frame emitted, or -1. */
  lastPictureId = -1;
  /**
   * A sequence gap fell between two frames. If the next frame's PictureID follows the last
   * emitted one, no frame was lost (the gap was e.g. an FEC packet in the same sequence space,
   * RFC 5109 10.2) and no keyframe is needed; otherwise a whole frame went missing.
   */
  gapBetweenFrames = false;
  /** TL0PICIDX of the last base-layer frame emitted, or -1. */
  lastTl0PicIdx = -1;
  /**
   * A frame above the base layer was lost since the last base-layer frame: until the next one,
   * only upper-layer frames that depend on the base layer alone (layer sync) can be decoded.
   */
  upperLayersBroken = false;

  startFrame(ts: number, info: DepacketizedPayload): void {
    this.inFrame = true;
    this.frameTs = ts;
    this.frameKeyframe = info.keyframe;
    this.framePictureId = info.pictureId;
    this.framePictureIdModulus = info.pictureIdModulus;
    this.framePDiffs = info.pDiffs === null ? null : info.pDiffs.slice();
    this.frameTid = info.tid;
    this.frameTl0PicIdx = info.tl0PicIdx;
    this.frameLayerSync = info.layerSync;
    this.parts.length = 0;
    this.partsBytes = 0;
  }

  isDecoded(pictureId: number): boolean {
    for (const p of this.decoded) if (p === pictureId) return true;
    return false;
  }

  /** The picture this frame would follow: the last emitted PictureID plus one. */
  followsLastEmitted(info: DepacketizedPayload): boolean {
    return info.pictureId >= 0 && this.lastPictureId >= 0 && info.pictureId === (this.lastPictureId + 1) % info.pictureIdModulus;
  }

  /** All VP9 flexible-mode references (P_DIFF) of this picture were emitted. */
  referencesEmitted(pictureId: number, pDiffs: readonly number[], modulus: number): boolean {
    for (const d of pDiffs) if (!this.isDecoded((pictureId - d + modulus) % modulus)) return false;
    return true;
  }

  /**
   * Temporal scalability (RFC 7741 4.2, TID/TL0PICIDX/Y): a base-layer frame needs only the
   * base-layer frame before it, an upper-layer frame the base-layer frame of its TL0PICIDX
   * (and, without layer sync, the upper-layer frames since). The first layered frame after
   * unlayered ones has no base to check against: it follows the unlayered rule (decodable when
   * nothing was lost, which the caller checks).
   */
  layerReferencesEmitted(tid: number, tl0PicIdx: number, layerSync: boolean, upperBroken: boolean): boolean {
    if (this.lastTl0PicIdx < 0) return true;
    if (tid === 0) return tl0PicIdx === ((this.lastTl0PicIdx + 1) & 0xff);
    return tl0PicIdx === this.lastTl0PicIdx && (layerSync || !upperBroken);
  }

  /** A loss that only an upper-layer frame suffered: the base layer is known to go on. */
  loseUpperLayer(): void {
    if (this.lastTl0PicIdx >= 0) this.upperLayersBroken = true;
    else this.waitingForKeyframe = true;
  }

  markDecoded(pictureId: number): void {
    this.lastPictureId = pictureId;
    if (pictureId < 0) return;
    this.decoded[this.decodedNext] = pictureId;
    this.decodedNext = (this.decodedNext + 1) % DECODED_HISTORY;
  }
}

/**
 * Assembles frames from packets that arrive in order per SSRC (a jitter buffer in front
 * handles reordering). A frame is complete when its packets run without a sequence gap from a
 * begin packet (VP8 S=1 PID=0, VP9 B=1) to the marker bit (or to the start of the next frame).
 * A frame with a missing packet is dropped; after any loss, video frames are held back until
 * a keyframe (`needsKeyframe` is true meanwhile), except VP9 flexible-mode frames whose P_DIFF
 * references were all emitted.
 */
export class Depacketizer extends StageCore<RtpPacket, EncodedFrame> {
  readonly name = "depacketizer";
  readonly codec: CodecName;
  private readonly payloadType: number;
  private readonly video: boolean;
  private readonly format: CodecDepacketizer;
  private readonly sources = new Map<number, SourceState>();
  private framesAssembled = 0;
  private framesIncomplete = 0;
  private framesUndecodable = 0;
  private packetsMalformed = 0;
  private packetsDiscarded = 0;
  private packetsIgnored = 0;
  private packets = 0;

  constructor(options: DepacketizerOptions) {
    super();
    this.codec = checkOneOf("codec", options.codec, ["vp8", "vp9", "opus"]);
    this.payloadType = options.payloadType === undefined ? -1 : checkInt("payloadType", options.payloadType, 0, 127);
    this.video = this.codec !== "opus";
    this.format = this.codec === "vp8" ? new Vp8Depacketizer() : this.codec === "vp9" ? new Vp9Depacketizer() : new OpusDepacketizer();
  }

  /** True while some source lost data and no keyframe has arrived since (ask for one: PLI). */
  get needsKeyframe(): boolean {
    if (!this.video) return false;
    for (const s of this.sources.values()) if (s.receivedAny && s.waitingForKeyframe) return true;
    return false;
  }

  /** SSRCs that are waiting for a keyframe. */
  ssrcsNeedingKeyframe(): number[] {
    const out: number[] = [];
    if (!this.video) return out;
    for (const [ssrc, s] of this.sources) if (s.receivedAny && s.waitingForKeyframe) out.push(ssrc);
    return out;
  }

  /**
   * Whether the frame that `packet` starts could be decoded if every packet still missing
   * before it were given up now: the missing packets are only FEC or padding between two whole
   * frames (the PictureID follows), frames of an upper temporal layer that nothing after them
   * needs (RFC 7741 4.2), or a keyframe follows. Lets the jitter buffer stop waiting for a
   * retransmission that would change nothing (libwebrtc likewise assembles frames independently
   * and decides decodability from PictureID/TL0PICIDX).
   */
  canSkipTo(packet: RtpPacket): boolean {
    if (!this.video || packet.payload.length === 0) return false;
    const s = this.sources.get(packet.ssrc);
    if (s === undefined || !s.receivedAny) return false;
    let info: DepacketizedPayload;
    try {
      info = this.format.parse(packet.payload);
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) throw e;
      return false;
    }
    if (!info.startOfFrame) return false;
    if (info.keyframe) return true;
    if (s.waitingForKeyframe) return false;
    if (info.tid >= 0 && info.tl0PicIdx >= 0 && s.lastTl0PicIdx >= 0) {
      // A base-layer frame cut short by the gap breaks the chain; an upper-layer one does not.
      if (s.inFrame && s.frameTid <= 0) return false;
      return s.layerReferencesEmitted(info.tid, info.tl0PicIdx, info.layerSync, true) || (!s.inFrame && s.followsLastEmitted(info));
    }
    if (s.inFrame) return false;
    if (info.pDiffs !== null && info.pDiffs.length > 0 && info.pictureId >= 0) return s.referencesEmitted(info.pictureId, info.pDiffs, info.pictureIdModulus);
    return s.followsLastEmitted(info);
  }

  push(packet: RtpPacket, nowUs: number): void {
    if (this.payloadType >= 0 && packet.payloadType !== this.payloadType) {
      this.packetsIgnored++;
      return;
    }
    this.packets++;
    let s = this.sources.get(packet.ssrc);
    if (s === undefined) {
      s = new SourceState();
      this.sources.set(packet.ssrc, s);
    }
    const seq = s.unwrapper.unwrap(packet.sequenceNumber);
    if (!Number.isNaN(s.lastSeq) && seq <= s.lastSeq) {
      // Duplicate or late packet: the jitter buffer should not send these; ignore.
      this.packetsDiscarded++;
      return;
    }
    const gap = !Number.isNaN(s.lastSeq) && seq !== s.lastSeq + 1;
    s.lastSeq = seq;
    s.receivedAny = true;
    if (gap) this.onLoss(s);
    if (packet.payload.length === 0) {
      // Padding-only packet (probing): occupies a sequence number, carries no media.
      return;
    }
    let info: DepacketizedPayload;
    try {
      info = this.format.parse(packet.payload);
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) throw e;
      this.packetsMalformed++;
      this.onLoss(s);
      return;
    }
    if (!this.video) {
      this.framesAssembled++;
      this.emit(packet.timestamp, true, info.data, 0, 0, nowUs);
      return;
    }
    const ts = packet.timestamp;
    if (s.inFrame && ts !== s.frameTs) {
      // The previous frame ended without a marker, but no packet is missing: it is complete.
      this.finishFrame(s, nowUs);
    }
    if (!s.inFrame) {
      if (!info.startOfFrame) {
        // Continuation of a frame whose start we lost.
        if (ts !== s.discardTs) {
          this.framesIncomplete++;
          s.discardTs = ts;
          // With temporal layers the next frame's TL0PICIDX tells whether this one mattered.
          s.loseUpperLayer();
        }
        this.packetsDiscarded++;
        return;
      }
      if (s.gapBetweenFrames) {
        s.gapBetweenFrames = false;
        if (!s.followsLastEmitted(info)) {
          // A whole frame is missing: with temporal layers finishFrame decides from TL0PICIDX.
          if (info.tid >= 0 && info.tl0PicIdx >= 0) s.loseUpperLayer();
          else s.waitingForKeyframe = true;
        }
      }
      s.startFrame(ts, info);
    }
    if (info.width > 0 && info.height > 0) {
      s.width = info.width;
      s.height = info.height;
    }
    s.parts.push(info.data);
    s.partsBytes += info.data.length;
    if (packet.marker) this.finishFrame(s, nowUs);
  }

  private onLoss(s: SourceState): void {
    if (!this.video) return;
    if (s.inFrame) {
      this.framesIncomplete++;
      s.discardTs = s.frameTs;
      s.inFrame = false;
      s.parts.length = 0;
      s.partsBytes = 0;
      // An upper-layer frame is needed by no base-layer frame (RFC 7741 4.2).
      if (s.frameTid > 0) s.loseUpperLayer();
      else s.waitingForKeyframe = true;
    } else {
      s.discardTs = NaN;
      // Between frames: decided when the next frame shows its PictureID (picture IDs in use).
      if (s.lastPictureId >= 0) s.gapBetweenFrames = true;
      else s.waitingForKeyframe = true;
    }
  }

  private finishFrame(s: SourceState, nowUs: number): void {
    s.inFrame = false;
    this.framesAssembled++;
    const layered = s.frameTid >= 0 && s.frameTl0PicIdx >= 0;
    let decodable: boolean;
    if (s.frameKeyframe) {
      decodable = true;
    } else if (s.framePDiffs !== null && s.framePDiffs.length > 0 && s.framePictureId >= 0) {
      // VP9 flexible mode: decodable when every referenced picture was emitted.
      decodable = s.referencesEmitted(s.framePictureId, s.framePDiffs, s.framePictureIdModulus);
    } else if (layered) {
      decodable = !s.waitingForKeyframe && s.layerReferencesEmitted(s.frameTid, s.frameTl0PicIdx, s.frameLayerSync, s.upperLayersBroken);
    } else {
      decodable = !s.waitingForKeyframe;
    }
    if (!decodable) {
      this.framesUndecodable++;
      s.parts.length = 0;
      // An upper-layer frame that misses only upper-layer frames waits for the next base-layer
      // frame, not for a keyframe; one whose TL0PICIDX shows its base frame lost asks for one now.
      if (layered && s.frameTid > 0 && !s.waitingForKeyframe && s.frameTl0PicIdx === s.lastTl0PicIdx) s.upperLayersBroken = true;
      else s.waitingForKeyframe = true;
      return;
    }
    s.waitingForKeyframe = false;
    if (layered && s.frameTid === 0) {
      s.lastTl0PicIdx = s.frameTl0PicIdx;
      s.upperLayersBroken = false;
    } else if (!layered) {
      s.lastTl0PicIdx = -1; // the stream left layers: the next layered frame starts afresh
    }
    s.markDecoded(s.framePictureId);
    let data: Uint8Array;
    if (s.parts.length === 1) {
      data = s.parts[0]!;
    } else {
      data = new Uint8Array(s.partsBytes);
      let o = 0;
      for (const p of s.parts) {
        data.set(p, o);
        o += p.length;
      }
    }
    s.parts.length = 0;
    this.emit(s.frameTs, s.frameKeyframe, data, s.width, s.height, nowUs);
  }

  private emit(ts: number, keyframe: boolean, data: Uint8Array, width: number, height: number, nowUs: number): void {
    const frame: EncodedFrame =
      width > 0 && height > 0
        ? { kind: "video", codec: this.codec, data, keyframe, rtpTimestamp: ts, captureTimeUs: NaN, frameIndex: -1, width, height }
        : { kind: this.video ? "video" : "audio", codec: this.codec, data, keyframe, rtpTimestamp: ts, captureTimeUs: NaN, frameIndex: -1 };
    this.out.push(frame, nowUs);
  }

  override stats(): StageStats {
    return {
      packets: this.packets,
      framesAssembled: this.framesAssembled,
      framesIncomplete: this.framesIncomplete,
      framesUndecodable: this.framesUndecodable,
      packetsMalformed: this.packetsMalformed,
      packetsDiscarded: this.packetsDiscarded,
      packetsIgnored: this.packetsIgnored,
    };
  }
}
