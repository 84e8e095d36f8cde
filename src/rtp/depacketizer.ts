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

  startFrame(ts: number, info: DepacketizedPayload): void {
    this.inFrame = true;
    this.frameTs = ts;
    this.frameKeyframe = info.keyframe;
    this.framePictureId = info.pictureId;
    this.framePictureIdModulus = info.pictureIdModulus;
    this.framePDiffs = info.pDiffs === null ? null : info.pDiffs.slice();
    this.parts.length = 0;
    this.partsBytes = 0;
  }

  isDecoded(pictureId: number): boolean {
    for (const p of this.decoded) if (p === pictureId) return true;
    return false;
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
          s.waitingForKeyframe = true;
        }
        this.packetsDiscarded++;
        return;
      }
      if (s.gapBetweenFrames) {
        s.gapBetweenFrames = false;
        const follows = info.pictureId >= 0 && s.lastPictureId >= 0 && info.pictureId === (s.lastPictureId + 1) % info.pictureIdModulus;
        if (!follows) s.waitingForKeyframe = true;
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
      s.waitingForKeyframe = true;
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
    let decodable: boolean;
    if (s.frameKeyframe) {
      decodable = true;
    } else if (s.framePDiffs !== null && s.framePDiffs.length > 0 && s.framePictureId >= 0) {
      // VP9 flexible mode: decodable when every referenced picture was emitted.
      decodable = true;
      for (const d of s.framePDiffs) {
        const ref = (s.framePictureId - d + s.framePictureIdModulus) % s.framePictureIdModulus;
        if (!s.isDecoded(ref)) decodable = false;
      }
    } else {
      decodable = !s.waitingForKeyframe;
    }
    if (!decodable) {
      this.framesUndecodable++;
      s.waitingForKeyframe = true;
      s.parts.length = 0;
      return;
    }
    s.waitingForKeyframe = false;
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
