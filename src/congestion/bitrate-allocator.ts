/**
 * Splits the network controller's target rate across audio, video, video FEC and the
 * retransmission (RTX) budget. All rates are on the wire (what the estimator measures: the
 * SRTP datagrams), so the per-packet overhead is counted: at 50 Opus packets per second the
 * RTP header (12 bytes), a transport-wide-cc extension (8) and the SRTP tag (10) cost 12 kbps,
 * twice Opus's minimum bitrate, and cannot be ignored at low rates.
 *
 * Rules, in order:
 * 1. Audio first: it never drops below `audioMinBps` (6 kbps, Opus's SILK narrowband floor) on
 *    the codec; if the target cannot carry even that plus its overhead, audio keeps its
 *    floor anyway and the allocation says `belowAudioFloor` (a call without audio is none).
 * 2. Video pauses below `videoPauseBelowBps` of target (50 kbps) and resumes above
 *    `videoResumeAboveBps` (60 kbps): hysteresis, so a target around 50 kbps does not toggle
 *    video. Paused video gives audio all it can use, up to `audioMaxBps` (32 kbps).
 * 3. With video on, audio gets `audioShare` of the target (less its overhead, and divided
 *    among the primary and its RED copies when the sender adds them), within
 *    6-32 kbps; with loss, it is raised to where Opus's in-band FEC works (libopus codes LBRR
 *    only above 16 kbps x (1.25 − min(loss, 25%)) at wideband, silk_setup_LBRR and
 *    LBRR_WB_MIN_RATE_BPS), when the rest still carries the minimum video and no RED copies
 *    are on (those protect the same frames already).
 *    `audioInbandFec` says whether FEC is worth enabling at the chosen rate (above even the
 *    narrowband threshold, 12 kbps x the same factor) and there is loss to repair (≥ 1%).
 * 4. The rest goes to video, its packet headers (`videoPacketOverheadFraction`), FEC at the
 *    ratio FecController's policy picks for this loss and RTT (src/fec/fec-controller.ts),
 *    and an RTX budget of loss / (1 − loss) of the video (one resend per lost packet, and of
 *    its resends), capped at `maxRtxFraction`, and 0 when no NACK round fits the RTT. When
 *    that leaves video under its minimum, FEC and then the RTX budget are given up first.
 * 5. Pacer pushback: while the pacer's queue time is above `pushbackStartUs`, video is scaled
 *    down linearly to `pushbackMinFactor` at `pushbackFullUs` (the idea of libwebrtc's
 *    congestion-window pushback, which lowers the encoder target when data backs up in the
 *    pacer, rather than letting the queue grow).
 * The parts are floored to whole bits/s, so they never sum above the target (unless
 * `belowAudioFloor`). Pure; the only state is the video pause hysteresis.
 */
import { checkRange } from "../errors.js";
import { fecProtectionFor, type FecPolicyOptions } from "../fec/fec-controller.js";

/** Options of {@link BitrateAllocator}. */
export interface BitrateAllocatorOptions {
  /** Least Opus bitrate (default 6 000). */
  audioMinBps?: number;
  /** Most Opus bitrate (default 32 000). */
  audioMaxBps?: number;
  /** Audio's share of the target (wire, with video on), 0-1 (default 0.3). */
  audioShare?: number;
  /** Opus frame duration, ms (default 20). */
  audioFrameMs?: number;
  /** RTP + extensions + SRTP tag per audio packet, bytes (default 30). */
  audioPacketOverheadBytes?: number;
  /** Least video bitrate worth sending (default 20 000, about the ladder's lowest rung). */
  videoMinBps?: number;
  /** Most video bitrate (default 2 500 000). */
  videoMaxBps?: number;
  /** Below this target video pauses (default 50 000). */
  videoPauseBelowBps?: number;
  /** At or above this target paused video resumes (default 60 000). */
  videoResumeAboveBps?: number;
  /** RTP/SRTP headers as a fraction of the video payload (default 0.03: ~35 bytes per ~1 200). */
  videoPacketOverheadFraction?: number;
  /** Most RTX budget as a fraction of the video (default 0.5, like NackResponder's maxRateRatio). */
  maxRtxFraction?: number;
  /** Loss at and above which audio FEC is worth its bits (default 0.01). */
  audioFecMinLoss?: number;
  /** Pacer queue time from which video is pushed back, µs (default 100 000). */
  pushbackStartUs?: number;
  /** Queue time at which the pushback is full, µs (default 1 000 000). */
  pushbackFullUs?: number;
  /** Video factor at full pushback (default 0.5). */
  pushbackMinFactor?: number;
  /** Options of the FEC policy (fecProtectionFor). */
  fecPolicy?: FecPolicyOptions;
}

/** What the allocator is told. */
export interface BitrateAllocationInput {
  /** NetworkTargetUpdate.targetRateBps. */
  targetRateBps: number;
  /** Loss fraction 0-1. */
  lossFraction: number;
  /** Round-trip time, ms. */
  rttMs: number;
  /** The pacer's expected queue time (Pacer.queueStats), µs; 0 when unknown. */
  pacerQueueTimeUs?: number;
  /**
   * Redundant copies audio RED (RFC 2198) carries per packet, 0-2 (default 0): each copy
   * resends an earlier Opus frame, so the audio costs (1 + copies) x its bitrate plus a 4-byte
   * block header per copy (RFC 2198 section 3); Opus's bitrate is lowered so the whole fits.
   */
  audioRedCopies?: number;
}

/** The split; all rates bits/s. */
export interface BitrateAllocation {
  targetRateBps: number;
  /** Opus encoder bitrate (OpusEncoder.setBitrate). */
  audioBitrateBps: number;
  /** Audio on the wire: bitrate + packet overhead. */
  audioWireRateBps: number;
  /** Whether Opus in-band FEC is worth enabling (OpusEncoder.setInbandFec). */
  audioInbandFec: boolean;
  /** Loss to tell Opus (OpusEncoder.setExpectedLossPct), 0-100. */
  audioExpectedLossPct: number;
  /** Video encoder bitrate (VideoQualityLadder.update, VpxEncoder.setBitrate); 0 when paused. */
  videoBitrateBps: number;
  videoPaused: boolean;
  /** Video packet headers on the wire. */
  videoOverheadBps: number;
  /** FEC packets per media packet (FecEncoder.setProtection via the FEC policy). */
  fecPerMedia: number;
  fecRateBps: number;
  /** Retransmission budget. */
  rtxRateBps: number;
  /** Sum of all parts on the wire. */
  totalBps: number;
  /** The target is below the audio floor: audio kept its minimum, total exceeds the target. */
  belowAudioFloor: boolean;
  /** The pacer pushback factor applied to video (1 = none). */
  pushbackFactor: number;
}

/** Splits a target rate across audio, video, FEC and RTX; see the file comment. */
export class BitrateAllocator {
  private readonly audioMin: number;
  private readonly audioMax: number;
  private readonly audioShare: number;
  private readonly audioOverheadBps: number;
  private readonly audioFrameMs: number;
  private readonly videoMin: number;
  private readonly videoMax: number;
  private readonly pauseBelow: number;
  private readonly resumeAbove: number;
  private readonly videoHeader: number;
  private readonly maxRtx: number;
  private readonly audioFecMinLoss: number;
  private readonly pushStartUs: number;
  private readonly pushFullUs: number;
  private readonly pushMin: number;
  private readonly fecPolicy: FecPolicyOptions;
  private paused = false;
  private counters = { updates: 0, pauses: 0, resumes: 0, belowAudioFloor: 0 };

  constructor(options: BitrateAllocatorOptions = {}) {
    this.audioMin = checkRange("audioMinBps", options.audioMinBps ?? 6_000, 500, 512_000);
    this.audioMax = checkRange("audioMaxBps", options.audioMaxBps ?? 32_000, this.audioMin, 512_000);
    this.audioShare = checkRange("audioShare", options.audioShare ?? 0.3, 0, 1);
    const frameMs = checkRange("audioFrameMs", options.audioFrameMs ?? 20, 2.5, 120);
    const overheadBytes = checkRange("audioPacketOverheadBytes", options.audioPacketOverheadBytes ?? 30, 0, 1_000);
    this.audioOverheadBps = (overheadBytes * 8 * 1000) / frameMs;
    this.audioFrameMs = frameMs;
    this.videoMin = checkRange("videoMinBps", options.videoMinBps ?? 20_000, 1_000, 1e9);
    this.videoMax = checkRange("videoMaxBps", options.videoMaxBps ?? 2_500_000, this.videoMin, 1e10);
    this.pauseBelow = checkRange("videoPauseBelowBps", options.videoPauseBelowBps ?? 50_000, 0, 1e10);
    this.resumeAbove = checkRange("videoResumeAboveBps", options.videoResumeAboveBps ?? 60_000, this.pauseBelow, 1e10);
    this.videoHeader = checkRange("videoPacketOverheadFraction", options.videoPacketOverheadFraction ?? 0.03, 0, 1);
    this.maxRtx = checkRange("maxRtxFraction", options.maxRtxFraction ?? 0.5, 0, 10);
    this.audioFecMinLoss = checkRange("audioFecMinLoss", options.audioFecMinLoss ?? 0.01, 0, 1);
    this.pushStartUs = checkRange("pushbackStartUs", options.pushbackStartUs ?? 100_000, 0, 60_000_000);
    this.pushFullUs = checkRange("pushbackFullUs", options.pushbackFullUs ?? 1_000_000, this.pushStartUs + 1, 120_000_000);
    this.pushMin = checkRange("pushbackMinFactor", options.pushbackMinFactor ?? 0.5, 0, 1);
    this.fecPolicy = options.fecPolicy ?? {};
  }

  /** The least target that carries the audio minimum plus its packet overhead. */
  get audioFloorBps(): number {
    return this.audioMin + this.audioOverheadBps;
  }

  /** Whether video is paused by the target hysteresis. */
  get videoPaused(): boolean {
    return this.paused;
  }

  /** Splits one target. */
  allocate(input: BitrateAllocationInput): BitrateAllocation {
    const target = checkRange("targetRateBps", input.targetRateBps, 0, 1e10);
    const loss = checkRange("lossFraction", input.lossFraction, 0, 1);
    const rttMs = checkRange("rttMs", input.rttMs, 0, 60_000);
    const queueUs = checkRange("pacerQueueTimeUs", input.pacerQueueTimeUs ?? 0, 0, 1e9);
    const red = checkRange("audioRedCopies", input.audioRedCopies ?? 0, 0, 2);
    // RFC 2198 section 3: a 4-byte header per redundant block (plus 1 for the primary's, counted once RED is on).
    const redHeaderBps = red > 0 ? ((4 * red + 1) * 8 * 1000) / this.audioFrameMs : 0;
    const audioOverheadBps = this.audioOverheadBps + redHeaderBps;
    this.counters.updates++;

    // 2. Pause hysteresis on the target.
    if (this.paused && target >= this.resumeAbove) {
      this.paused = false;
      this.counters.resumes++;
    } else if (!this.paused && target < this.pauseBelow) {
      this.paused = true;
      this.counters.pauses++;
    }

    const fec = fecProtectionFor({ lossFraction: loss, rttMs }, this.fecPolicy);
    let fecPerMedia = fec.fecPerMedia;
    let rtxFraction = fec.nackRounds === 0 ? 0 : Math.min(this.maxRtx, loss >= 1 ? this.maxRtx : loss / (1 - loss));
    let videoFactor = (1 + this.videoHeader) * (1 + fecPerMedia + rtxFraction);
    const pushbackFactor = queueUs <= this.pushStartUs ? 1 : Math.max(this.pushMin, 1 - ((1 - this.pushMin) * (queueUs - this.pushStartUs)) / (this.pushFullUs - this.pushStartUs));

    const lossCapped = Math.min(loss, 0.25);
    const lbrrWbBps = 16_000 * (1.25 - lossCapped); // libopus silk_setup_LBRR, wideband
    const lbrrNbBps = 12_000 * (1.25 - lossCapped); // narrowband
    const fecWanted = loss >= this.audioFecMinLoss;

    const audioFor = (videoOn: boolean): number => {
      const clamp = (x: number): number => Math.min(this.audioMax, Math.max(this.audioMin, x));
      let a = videoOn ? clamp((this.audioShare * target - audioOverheadBps) / (1 + red)) : clamp((target - audioOverheadBps) / (1 + red));
      // With RED copies on, a lost packet's audio comes in the next one's redundant block, and
      // raising the rate for in-band FEC as well would pay twice for the same protection.
      if (fecWanted && videoOn && red === 0 && a <= lbrrWbBps) {
        const want = Math.min(this.audioMax, Math.ceil(lbrrWbBps) + 1_000);
        if (target - want * (1 + red) - audioOverheadBps >= this.videoMin * videoFactor) a = Math.max(a, want);
      }
      return Math.floor(a);
    };

    // 3-4. Audio, then video from the rest; video below its minimum pauses for this round.
    let videoOn = !this.paused;
    let audio = audioFor(videoOn);
    let video = 0;
    if (videoOn) {
      const rest = Math.max(0, target - Math.ceil(audio * (1 + red) + audioOverheadBps));
      video = Math.floor(Math.min(this.videoMax, rest / videoFactor) * pushbackFactor);
      // Video's minimum comes before its protection: FEC goes first, then the RTX budget
      // (3G at a 54-63 kbps target with 7-8% loss and a pacer queue paused video for 1.4 s to
      // keep a FEC share).
      if (video < this.videoMin && fecPerMedia + rtxFraction > 0) {
        const bare = (1 + this.videoHeader) * (1 + rtxFraction);
        const keepRtx = Math.floor(Math.min(this.videoMax, rest / bare) * pushbackFactor) >= this.videoMin;
        fecPerMedia = 0;
        if (!keepRtx) rtxFraction = 0;
        videoFactor = (1 + this.videoHeader) * (1 + rtxFraction);
        video = Math.floor(Math.min(this.videoMax, rest / videoFactor) * pushbackFactor);
      }
      if (video < this.videoMin) {
        videoOn = false;
        video = 0;
        audio = audioFor(false);
      }
    }
    const audioWire = Math.ceil(audio * (1 + red) + audioOverheadBps);
    const belowAudioFloor = target < audioWire;
    if (belowAudioFloor) this.counters.belowAudioFloor++;
    const header = Math.floor(video * this.videoHeader);
    const fecRate = videoOn ? Math.floor(video * (1 + this.videoHeader) * fecPerMedia) : 0;
    const rtxRate = videoOn ? Math.floor(video * (1 + this.videoHeader) * rtxFraction) : 0;
    return {
      targetRateBps: target,
      audioBitrateBps: audio,
      audioWireRateBps: audioWire,
      audioInbandFec: fecWanted && audio > lbrrNbBps,
      audioExpectedLossPct: Math.round(loss * 100),
      videoBitrateBps: video,
      videoPaused: !videoOn,
      videoOverheadBps: header,
      fecPerMedia: videoOn ? fecPerMedia : 0,
      fecRateBps: fecRate,
      rtxRateBps: rtxRate,
      totalBps: audioWire + video + header + fecRate + rtxRate,
      belowAudioFloor,
      pushbackFactor,
    };
  }

  stats(): Record<string, number> {
    return { ...this.counters, videoPaused: this.paused ? 1 : 0 };
  }
}
