import type { EncodedFrame, VideoCodecName } from "../codec/encoded-frame.js";
import { VpxDecoder } from "../codec/vpx-decoder.js";
import { ReorderBuffer } from "../jitter/reorder-buffer.js";
import { VideoPlayoutBuffer } from "../jitter/video-playout-buffer.js";
import type { VideoFrame } from "../media/video-frame.js";
import { Depacketizer } from "../rtp/depacketizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";

export interface VideoReceiveStreamOptions {
  codec: VideoCodecName;
  payloadType: number;
  /** Fills in capture time and source frame index of a frame before it is decoded (instrumentation). */
  annotate?: (frame: EncodedFrame) => void;
  /** On the virtual clock, render at arrival + measured decode time (default true). */
  addDecodeTime?: boolean;
}

/**
 * The video receive path after SRTP: ReorderBuffer → Depacketizer (frame assembly) →
 * VideoPlayoutBuffer (jitter delay) → VpxDecoder → `onFrame` (render). Concealment is holding
 * the last frame: a frame that cannot be decoded is not rendered, so the previous one stays.
 */
export class VideoReceiveStream {
  onFrame: (frame: VideoFrame, renderUs: number) => void = () => {};
  readonly reorder = new ReorderBuffer<RtpPacket>();
  readonly depacketizer: Depacketizer;
  readonly playout = new VideoPlayoutBuffer();
  private decodeUsTotal = 0;
  private decodes = 0;
  private decoded: VideoFrame | undefined;
  /** Latest network arrival of a first-time packet of each frame, by RTP timestamp. */
  private readonly arrivals = new Map<number, number>();
  private lossAtKeyframe = 0;
  private roundTripUs = 0;
  private mediaDelivered = 0;

  private constructor(
    readonly decoder: VpxDecoder,
    private readonly options: VideoReceiveStreamOptions,
  ) {
    this.depacketizer = new Depacketizer({ codec: options.codec, payloadType: options.payloadType });
    // Media packets that reach the frame assembler in time (FEC placeholders carry nothing).
    this.reorder.pipe({
      push: (p: RtpPacket, t: number) => {
        if (p.payload.length > 0) this.mediaDelivered++;
        this.depacketizer.push(p, t);
      },
    });
    // A gap the next frame does not need (a lost FEC packet, a lost frame of an upper temporal
    // layer) is waited for only until that frame is due to play: a retransmission in time is
    // taken, a late one does not stall the frames after it.
    // When a retransmission asked for as the gap showed cannot be back by then, only
    // reordering is waited for (the buffer's learned lateness, at least its minimum wait).
    this.reorder.skipUnneededGaps((run, gapSeenUs) => {
      const media = run.find((p) => p.payload.length > 0);
      if (media === undefined || !this.depacketizer.canSkipTo(media)) return undefined;
      const due = this.playout.dueUs(media.timestamp);
      return Number.isNaN(due) || gapSeenUs + this.roundTripUs > due ? -Infinity : due;
    });
    this.depacketizer.pipe(this.playout);
    this.playout.networkArrivalUs = (ts) => this.arrivals.get(ts);
    this.playout.pipe({
      push: (frame: EncodedFrame, nowUs: number) => {
        this.options.annotate?.(frame);
        this.decoded = undefined;
        const t0 = performance.now();
        this.decoder.push(frame, nowUs);
        const decodeUs = Math.round((performance.now() - t0) * 1000);
        this.decodeUsTotal += decodeUs;
        this.decodes++;
        // On the virtual clock the decode took no simulated time: render it as late as it took.
        const renderUs = nowUs + (this.options.addDecodeTime === false ? 0 : decodeUs);
        if (frame.keyframe && this.decoded) this.lossAtKeyframe = this.lossCount();
        if (this.decoded) this.onFrame(this.decoded, renderUs);
      },
    });
    decoder.pipe({ push: (frame: VideoFrame) => void (this.decoded = frame) });
  }

  static async create(options: VideoReceiveStreamOptions): Promise<VideoReceiveStream> {
    const decoder = await VpxDecoder.create({ codec: options.codec });
    return new VideoReceiveStream(decoder, options);
  }

  /**
   * Takes one video RTP packet. `retransmitted` marks a packet that came back through RTX: its
   * late arrival is recovery, not network jitter.
   */
  push(packet: RtpPacket, nowUs: number, retransmitted = false): void {
    if (!retransmitted) {
      const ts = packet.timestamp;
      this.arrivals.set(ts, Math.max(this.arrivals.get(ts) ?? 0, nowUs));
      if (this.arrivals.size > 256) this.arrivals.delete(this.arrivals.keys().next().value as number);
    }
    if (retransmitted) this.reorder.pushRecovered(packet, nowUs);
    else this.reorder.push(packet, nowUs);
  }

  /** The path's round-trip time (µs): how long a retransmission takes to come back. */
  setRoundTripUs(rttUs: number): void {
    this.roundTripUs = Number.isFinite(rttUs) && rttUs > 0 ? rttUs : 0;
  }

  tick(nowUs: number): void {
    this.reorder.tick(nowUs);
    this.playout.tick(nowUs);
  }

  /** The earliest time `tick` has work to do, or undefined. */
  nextDueUs(): number | undefined {
    const a = this.reorder.nextDueUs();
    const b = this.playout.nextDueUs();
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /**
   * A reference was lost (frame assembly) or the decoder failed, and something was actually
   * lost since the last keyframe: only a keyframe helps. (At the very start the receiver also
   * waits for a keyframe, but that one is on its way.)
   */
  get needsKeyframe(): boolean {
    return (this.depacketizer.needsKeyframe || this.decoder.needsKeyframe) && this.lossCount() > this.lossAtKeyframe;
  }

  private lossCount(): number {
    const d = this.depacketizer.stats();
    const r = this.reorder.stats();
    return (d.framesIncomplete ?? 0) + (d.framesUndecodable ?? 0) + (r.skippedLost ?? 0) + (this.decoder.stats().decodeErrors ?? 0);
  }

  get meanDecodeMs(): number {
    return this.decodes > 0 ? this.decodeUsTotal / this.decodes / 1000 : NaN;
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { mediaDelivered: this.mediaDelivered };
    for (const stage of [this.reorder, this.depacketizer, this.playout, this.decoder]) {
      for (const [k, v] of Object.entries(stage.stats())) s[`${stage.name}.${k}`] = v;
    }
    return s;
  }

  close(): void {
    this.decoder.close();
  }
}
