import type { EncodedFrame } from "../../codec/encoded-frame.js";
import { OpusDecoder } from "../../codec/opus-decoder.js";
import { InvalidOptionError, RtcpipeError, checkInt } from "../../errors.js";
import { AUDIO_FRAME_SAMPLES, createAudioFrame, type AudioFrame } from "../../media/audio-frame.js";
import { DecisionLogic, type Decision, type DecisionLogicOptions, type NetEqOperation } from "./decision-logic.js";
import { DelayManager, type DelayManagerOptions } from "./delay-manager.js";
import { Merge, type MergeOptions } from "./merge.js";
import type { NetEqDecoder } from "./neteq-decoder.js";
import { opusPacketHasLbrr } from "./opus-lbrr.js";
import { PacketBuffer, type BufferedPacket, type NetEqPacket, type PacketBufferOptions } from "./packet-buffer.js";
import { SampleOrigin, SyncBuffer } from "./sync-buffer.js";
import { TimeStretch, type TimeStretchOptions } from "./time-stretch.js";

/** Options of {@link NetEqPlayout}; each part's options pass through unchanged. */
export interface NetEqPlayoutOptions {
  /** Output channels, 1 or 2 (default: the decoder's). */
  channels?: 1 | 2;
  packetBuffer?: PacketBufferOptions;
  delay?: DelayManagerOptions;
  decision?: DecisionLogicOptions;
  timeStretch?: Omit<TimeStretchOptions, "channels">;
  merge?: Omit<MergeOptions, "channels">;
  /** Fills in capture time and source frame index of a packet before decoding (instrumentation). */
  annotate?: (frame: EncodedFrame) => void;
}

/** One 20 ms output frame and how it was made. */
export interface NetEqOutput {
  frame: AudioFrame;
  operation: NetEqOperation;
  /** The frame holds synthesized audio (PLC, FEC or comfort noise). */
  concealed: boolean;
}

/** Counters of {@link NetEqPlayout.stats}. */
export interface NetEqStats {
  /** Buffer level now: held packets' span + unplayed decoded audio, ms. */
  bufferMs: number;
  /** Smoothed buffer level the decisions use, ms. */
  filteredBufferMs: number;
  targetDelayMs: number;
  packetsIn: number;
  latePackets: number;
  duplicatePackets: number;
  overflowPackets: number;
  invalidPackets: number;
  discardedPackets: number;
  decodeErrors: number;
  /** Output requests by operation. */
  normal: number;
  accelerate: number;
  preemptiveExpand: number;
  expand: number;
  merge: number;
  fec: number;
  cng: number;
  idle: number;
  /** Samples (per channel) synthesized by PLC. */
  concealedSamples: number;
  cngSamples: number;
  acceleratedSamples: number;
  expandedSamples: number;
  fecRecoveredFrames: number;
  /** Frames of real output (everything but idle), to compute concealment %. */
  outputFrames: number;
  timestampJumps: number;
  /** Restarts of the timeline after a run of late packets (sender reset or garbage jump). */
  timelineResets: number;
}

const F = AUDIO_FRAME_SAMPLES; // 960: 20 ms per packet and per output request
const LATE_RUN_RESET = 10; // consecutive late packets (200 ms of stream) that restart the timeline

/**
 * A NetEQ-like audio playout: packets in (`insertPacket`, any order, any time), continuous
 * 20 ms frames out (`getAudio`, once per 20 ms of the playout clock). Split as libwebrtc
 * splits it: PacketBuffer (held packets), DelayManager (target delay from arrival statistics),
 * DecisionLogic (what to do per request), TimeStretch (accelerate / preemptive expand), Merge
 * (back from concealment), the decoder's PLC and FEC, and a SyncBuffer that lets the decoded
 * amount differ from the 20 ms played. Time is an argument; nothing here reads a clock.
 * Playout starts once `targetDelayMs` (80 ms at first) has passed since the first packet.
 * Bad input (garbage payloads, huge timestamp jumps, duplicates, floods) is counted, never thrown.
 */
export class NetEqPlayout {
  readonly channels: 1 | 2;
  private readonly decoder: NetEqDecoder;
  private readonly packets: PacketBuffer;
  private readonly delay: DelayManager;
  private readonly logic: DecisionLogic;
  private readonly stretch: TimeStretch;
  private readonly merger: Merge;
  private readonly sync: SyncBuffer;
  private readonly annotate: ((frame: EncodedFrame) => void) | undefined;
  private readonly ownsDecoder: boolean;
  private started = false;
  private firstArrivalUs = NaN;
  private playTs = NaN;
  private generated = 0;
  private consecutiveExpands = 0;
  private lastSeq = NaN;
  private lastPacketDtx = false;
  private lastWasConcealment = false;
  private lateRun = 0;
  private lateTs = NaN;
  private timelineResets = 0;
  private closed = false;
  /** Capture-time anchors of recently decoded packets: [ts, captureTimeUs, frameIndex]. */
  private readonly anchors: [number, number, number][] = [];
  private readonly c: Omit<NetEqStats, "bufferMs" | "filteredBufferMs" | "targetDelayMs" | "latePackets" | "duplicatePackets" | "overflowPackets" | "invalidPackets" | "discardedPackets" | "timestampJumps" | "timelineResets"> = {
    packetsIn: 0, decodeErrors: 0,
    normal: 0, accelerate: 0, preemptiveExpand: 0, expand: 0, merge: 0, fec: 0, cng: 0, idle: 0,
    concealedSamples: 0, cngSamples: 0, acceleratedSamples: 0, expandedSamples: 0, fecRecoveredFrames: 0, outputFrames: 0,
  };

  /** Creates the playout with a real Opus decoder (owned: closed by `close`). */
  static async create(options: NetEqPlayoutOptions = {}): Promise<NetEqPlayout> {
    const decoder = await OpusDecoder.create({ channels: options.channels ?? 1 });
    return new NetEqPlayout(decoder, options, true);
  }

  /** Uses `decoder` (not closed by `close` unless `ownsDecoder`). */
  constructor(decoder: NetEqDecoder, options: NetEqPlayoutOptions = {}, ownsDecoder = false) {
    if (typeof options !== "object" || options === null) throw new InvalidOptionError("Cannot create a NetEqPlayout: options must be an object");
    this.channels = options.channels ?? decoder.channels;
    checkInt("channels", this.channels, 1, 2);
    if (this.channels !== decoder.channels) {
      throw new InvalidOptionError(`Cannot use channels=${this.channels}: the decoder outputs ${decoder.channels}`);
    }
    this.decoder = decoder;
    this.ownsDecoder = ownsDecoder;
    this.packets = new PacketBuffer(options.packetBuffer);
    this.delay = new DelayManager(options.delay);
    this.logic = new DecisionLogic(options.decision);
    this.stretch = new TimeStretch({ ...options.timeStretch, channels: this.channels });
    this.merger = new Merge({ ...options.merge, channels: this.channels });
    this.sync = new SyncBuffer(this.channels);
    this.annotate = options.annotate;
  }

  /** Hands one received RTP packet to the playout (any order; late/duplicates are counted). */
  insertPacket(packet: NetEqPacket, nowUs: number): void {
    this.checkOpen("insert a packet");
    this.c.packetsIn++;
    if (typeof packet !== "object" || packet === null) return;
    const result = this.packets.insert(packet, nowUs);
    if (result === "invalid" || result === "duplicate") return;
    if (result === "late") {
      // A run of late packets with consecutive timestamps means the stream's timeline is
      // elsewhere (a sender reset, or we jumped to a garbage timestamp): start over on them.
      // Random garbage is not consecutive, so a flood of it cannot trigger this.
      const ts = this.packets.peekTimestamp(packet.timestamp);
      const step = ts - this.lateTs;
      this.lateRun = step > 0 && step <= 3 * F ? this.lateRun + 1 : 1;
      this.lateTs = ts;
      if (this.lateRun >= LATE_RUN_RESET) this.resetTimeline();
      return;
    }
    this.lateRun = 0;
    if (Number.isNaN(this.firstArrivalUs)) this.firstArrivalUs = nowUs;
    this.delay.update(this.packets.peekTimestamp(packet.timestamp), nowUs);
  }

  /** The next 20 ms of audio. Call once per 20 ms of the playout clock. */
  getAudio(nowUs: number): NetEqOutput {
    this.checkOpen("get audio");
    if (!this.started && !this.tryStart(nowUs)) {
      this.c.idle++;
      return { frame: createAudioFrame(this.channels), operation: "idle", concealed: false };
    }
    const target = this.targetSamples();
    const first = this.packets.earliest();
    const decision = this.logic.decide({
      needData: this.sync.availableFrames < F,
      playTs: this.playTs,
      generatedSamples: this.generated,
      earliestTs: first?.ts,
      has: (ts) => this.packets.has(ts),
      hasFec: (ts) => {
        const p = this.packets.get(ts);
        return p !== undefined && opusPacketHasLbrr(p.payload);
      },
      earliestIsNextSeq: first !== undefined && !Number.isNaN(this.lastSeq) && first.seq === this.lastSeq + 1,
      lastPacketDtx: this.lastPacketDtx,
      lastWasConcealment: this.lastWasConcealment,
      consecutiveExpands: this.consecutiveExpands,
      bufferLevelSamples: this.levelSamples(),
      targetLevelSamples: target,
    });
    this.execute(decision, nowUs);
    // Whatever the operation, the output is a full frame.
    while (this.sync.availableFrames < F) {
      if (this.packets.has(this.playTs)) this.decodeAt(this.playTs, nowUs, false);
      else this.conceal(nowUs, "plc");
    }
    const frame = createAudioFrame(this.channels);
    const origin = this.sync.read(frame.samples, F);
    this.stamp(frame);
    const concealed = (origin & (SampleOrigin.plc | SampleOrigin.fec | SampleOrigin.cng)) !== 0;
    if (concealed) frame.concealed = true;
    this.c.outputFrames++;
    return { frame, operation: decision.operation, concealed };
  }

  /** Target buffer level now, ms. */
  get targetDelayMs(): number {
    return this.delay.targetDelayMs();
  }

  /** Buffer level now (held packets' span + unplayed decoded audio), ms. */
  get bufferMs(): number {
    return this.levelSamples() / 48;
  }

  stats(): NetEqStats {
    const p = this.packets.stats();
    return {
      ...this.c,
      bufferMs: this.bufferMs,
      filteredBufferMs: Number.isNaN(this.logic.filteredLevelSamples) ? 0 : this.logic.filteredLevelSamples / 48,
      targetDelayMs: this.delay.targetDelayMs(),
      latePackets: p["late"] ?? 0,
      duplicatePackets: p["duplicates"] ?? 0,
      overflowPackets: p["overflows"] ?? 0,
      invalidPackets: p["invalid"] ?? 0,
      discardedPackets: p["discarded"] ?? 0,
      timestampJumps: this.delay.stats()["timestampJumps"] ?? 0,
      timelineResets: this.timelineResets,
    };
  }

  /** Packets held now. */
  get heldPackets(): number {
    return this.packets.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDecoder) this.decoder.close?.();
  }

  private resetTimeline(): void {
    this.lateRun = 0;
    this.timelineResets++;
    this.packets.reset();
    this.logic.reset();
    this.started = false;
    this.firstArrivalUs = NaN;
    this.playTs = NaN;
    this.generated = 0;
    this.consecutiveExpands = 0;
    this.lastSeq = NaN;
  }

  private tryStart(nowUs: number): boolean {
    const first = this.packets.startCandidate(5 * F);
    if (!first || nowUs < this.firstArrivalUs + this.delay.targetDelayMs() * 1000) return false;
    this.started = true;
    this.playTs = first.ts;
    this.packets.advanceTo(first.ts);
    return true;
  }

  private targetSamples(): number {
    return this.delay.targetDelayMs() * 48;
  }

  private levelSamples(): number {
    if (!this.started) return 0;
    const horizon = 2 * this.delay.targetDelayMs() * 48 + 50 * F; // ignore far-future garbage
    return this.sync.availableFrames + this.packets.spanSamples(this.playTs, horizon);
  }

  private execute(d: Decision, nowUs: number): void {
    const op = d.operation;
    this.c[op]++;
    switch (op) {
      case "normal":
        if (d.packetTs !== undefined && (this.sync.availableFrames < F || d.packetTs !== this.playTs)) this.decodeAt(d.packetTs, nowUs, false);
        break;
      case "merge":
        this.decodeAt(d.packetTs ?? this.playTs, nowUs, true);
        break;
      case "accelerate": {
        // Decode up to 40 ms so a period of up to 20 ms can be found and cut.
        while (this.sync.availableFrames < 2 * F && this.packets.has(this.playTs)) this.decodeAt(this.playTs, nowUs, false);
        const r = this.stretch.accelerate(this.sync.unplayed());
        if (r.changeFrames > 0) {
          const T = r.changeFrames;
          const f = this.sync.unplayedFlags();
          const flags = new Uint8Array(f.length - T);
          for (let k = 0; k < T; k++) flags[k] = f[k]! | f[k + T]!;
          flags.set(f.subarray(2 * T), T);
          this.sync.replaceUnplayed(r.output, flags);
          this.c.acceleratedSamples += T;
          this.logic.stretched(-T);
        }
        break;
      }
      case "preemptiveExpand": {
        if (this.sync.availableFrames < F && this.packets.has(this.playTs)) this.decodeAt(this.playTs, nowUs, false);
        const r = this.stretch.preemptiveExpand(this.sync.unplayed());
        if (r.changeFrames > 0) {
          const T = r.changeFrames;
          const f = this.sync.unplayedFlags();
          const flags = new Uint8Array(f.length + T);
          flags.set(f.subarray(0, T), 0);
          for (let k = 0; k < T; k++) flags[T + k] = f[T + k]! | f[k]!;
          flags.set(f.subarray(T), 2 * T);
          this.sync.replaceUnplayed(r.output, flags);
          this.c.expandedSamples += T;
          this.logic.stretched(T);
        }
        break;
      }
      case "expand":
        this.conceal(nowUs, "plc");
        break;
      case "cng":
        this.conceal(nowUs, "cng");
        break;
      case "fec": {
        const next = this.packets.get(d.packetTs!)!;
        const lostTs = next.ts - F;
        const out = this.decoder.decodeFec(this.encoded(next, lostTs));
        this.appendDecoded(out.samples, SampleOrigin.fec, true);
        this.c.fecRecoveredFrames++;
        this.playTs = next.ts;
        this.packets.advanceTo(this.playTs);
        this.generated = 0;
        this.consecutiveExpands = 0;
        this.lastWasConcealment = false;
        break;
      }
    }
  }

  /** Decodes the packet at `ts` (dropping older ones); merges if the last audio was concealment. */
  private decodeAt(ts: number, nowUs: number, merge: boolean): void {
    const p = this.packets.take(ts);
    this.playTs = ts + F;
    this.packets.advanceTo(this.playTs);
    this.generated = 0;
    if (!p) {
      this.conceal(nowUs, "plc");
      return;
    }
    const enc = this.encoded(p, p.ts);
    this.annotate?.(enc);
    const frame = this.decoder.decode(enc);
    this.lastSeq = p.seq;
    this.lastPacketDtx = p.payload.length <= 2;
    if (!frame) {
      this.c.decodeErrors++;
      this.conceal(nowUs, "plc");
      this.generated = 0; // the slot is covered; the timeline moved on
      return;
    }
    this.anchors.push([p.ts, enc.captureTimeUs, enc.frameIndex]);
    if (this.anchors.length > 16) this.anchors.shift();
    this.appendDecoded(frame.samples, SampleOrigin.decoded, merge || this.lastWasConcealment);
    this.consecutiveExpands = 0;
    this.lastWasConcealment = false;
  }

  private appendDecoded(samples: Int16Array, origin: number, merge: boolean): void {
    if (merge && this.lastWasConcealment) {
      const r = this.merger.apply(this.sync.tail(1920), samples);
      this.sync.append(r.output, origin);
    } else {
      this.sync.append(samples, origin);
    }
  }

  private conceal(nowUs: number, kind: "plc" | "cng"): void {
    const out = this.decoder.conceal(nowUs);
    this.sync.append(out.samples, kind === "plc" ? SampleOrigin.plc : SampleOrigin.cng);
    if (kind === "plc") this.c.concealedSamples += F;
    else this.c.cngSamples += F;
    this.generated += F;
    this.consecutiveExpands++;
    this.lastWasConcealment = true;
  }

  private encoded(p: BufferedPacket, ts: number): EncodedFrame {
    return {
      kind: "audio",
      codec: "opus",
      data: p.payload,
      keyframe: true,
      rtpTimestamp: (p.rtpTimestamp + (ts - p.ts)) >>> 0,
      captureTimeUs: NaN,
      frameIndex: -1,
      dtx: p.payload.length <= 2,
    };
  }

  /** Capture time and frame index of the frame about to play, from the nearest decoded packet. */
  private stamp(frame: AudioFrame): void {
    // The sample being read sits `available + F` behind the end of decoded audio (playTs).
    const ts = this.playTs - this.sync.availableFrames - F;
    for (let i = this.anchors.length - 1; i >= 0; i--) {
      const [ats, cap, idx] = this.anchors[i]!;
      if (ats <= ts + F / 2) {
        const off = Math.round((ts - ats) / F);
        frame.captureTimeUs = Number.isFinite(cap) ? cap + ((ts - ats) / 48) * 1000 : NaN;
        frame.frameIndex = idx >= 0 ? idx + off : -1;
        return;
      }
    }
    frame.captureTimeUs = NaN;
  }

  private checkOpen(what: string): void {
    if (this.closed) throw new RtcpipeError("ERR_CLOSED", `Cannot ${what}: the NetEQ playout is closed`);
  }
}
