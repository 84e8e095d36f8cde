import { checkInt, checkRange } from "../errors.js";
import { StageCore, type StageStats } from "../pipeline/stage.js";
import { SequenceUnwrapper, TimestampUnwrapper } from "../rtp/wrap-around-unwrapper.js";
import { AUDIO_FRAME_SAMPLES } from "../media/audio-frame.js";

/** What the buffer needs of an audio RTP packet. */
export interface AudioPacketLike {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

/**
 * One 20 ms playout slot. `packet` is the packet to decode, or null when the decoder must
 * synthesize the slot: after a loss ("loss"), when the buffer ran dry ("underrun"), or in a
 * DTX pause where the sender sent nothing on purpose ("dtx", RFC 7587 3.1.3).
 */
export interface PlayoutSlot<P extends AudioPacketLike = AudioPacketLike> {
  packet: P | null;
  kind: "normal" | "loss" | "underrun" | "dtx";
  /** The 48 kHz RTP timestamp this slot plays. */
  rtpTimestamp: number;
}

export interface AudioPlayoutBufferOptions {
  /** Delay before the first packet plays (default 40 ms). */
  startDelayMs?: number;
  /** Slack the earliest packet of the last second should keep before its slot (default 10 ms). */
  marginMs?: number;
  /** Packets held at most (default 100 = 2 s). */
  capacity?: number;
  /** Longest run of underrun slots that hold the timeline still before skipping on (default 5). */
  maxStretchSlots?: number;
}

const SLOT_US = 20_000;
const WINDOW_PACKETS = 50; // 1 s of 20 ms packets

/**
 * An adaptive audio playout buffer, a simple step toward NetEQ (the loss issue brings the
 * full one): it plays one 20 ms slot per tick on a steady timeline. When a slot's packet is
 * missing but later packets are here, the slot is lost (concealed with PLC); when nothing is
 * here it is an underrun and the timeline holds still (an "expand" that adds delay, so a late
 * packet still plays); when every packet of the last second arrived with more slack than
 * needed, one slot is dropped (an "accelerate" that removes 20 ms of delay).
 */
export class AudioPlayoutBuffer<P extends AudioPacketLike = AudioPacketLike> extends StageCore<P, PlayoutSlot<P>> {
  readonly name = "audio-playout";
  private readonly startDelayUs: number;
  private readonly marginUs: number;
  private readonly capacity: number;
  private readonly maxStretch: number;
  private readonly tsUnwrapper = new TimestampUnwrapper();
  private readonly seqUnwrapper = new SequenceUnwrapper();
  private readonly held = new Map<number, { packet: P; seq: number }>();
  private nextTs = NaN; // unwrapped RTP timestamp of the next slot
  private nextPlayUs = NaN; // when that slot plays
  private lastPlayedSeq = NaN;
  private stretchRun = 0;
  private readonly slack = new Float64Array(WINDOW_PACKETS);
  private slackSamples = 0;
  private counters = { packetsIn: 0, late: 0, duplicates: 0, overflows: 0, slots: 0, normal: 0, loss: 0, underrun: 0, dtx: 0, accelerated: 0 };

  constructor(options: AudioPlayoutBufferOptions = {}) {
    super();
    this.startDelayUs = checkRange("startDelayMs", options.startDelayMs ?? 40, 0, 1000) * 1000;
    this.marginUs = checkRange("marginMs", options.marginMs ?? 10, 0, 1000) * 1000;
    this.capacity = checkInt("capacity", options.capacity ?? 100, 2, 10_000);
    this.maxStretch = checkInt("maxStretchSlots", options.maxStretchSlots ?? 5, 0, 1000);
  }

  /** Playout delay right now: how long the newest held packet will wait (ms-level gauge, µs). */
  get bufferedUs(): number {
    let max = -Infinity;
    for (const k of this.held.keys()) if (k > max) max = k;
    return Number.isFinite(max) ? ((max - this.nextTs) / AUDIO_FRAME_SAMPLES) * SLOT_US + SLOT_US : 0;
  }

  push(packet: P, nowUs: number): void {
    this.counters.packetsIn++;
    const rawTs = this.tsUnwrapper.unwrap(packet.timestamp);
    const seq = this.seqUnwrapper.unwrap(packet.sequenceNumber);
    if (Number.isNaN(this.nextTs)) {
      this.nextTs = rawTs;
      this.nextPlayUs = nowUs + this.startDelayUs;
    }
    // Snap to the 20 ms slot grid: a sender whose timestamps wander by a few samples still
    // lands each packet in its own slot.
    const ts = this.nextTs + Math.round((rawTs - this.nextTs) / AUDIO_FRAME_SAMPLES) * AUDIO_FRAME_SAMPLES;
    if (ts < this.nextTs) {
      this.counters.late++;
      return;
    }
    if (this.held.has(ts)) {
      this.counters.duplicates++;
      return;
    }
    if (this.held.size >= this.capacity) {
      this.counters.overflows++;
      return;
    }
    this.held.set(ts, { packet, seq });
    // Slack: how long before its slot this packet arrived. Every 10 packets, if each of the
    // last 50 (1 s) had a slot of slack to spare, one slot of delay goes (at most 100 ms/s).
    const playUs = this.nextPlayUs + ((ts - this.nextTs) / AUDIO_FRAME_SAMPLES) * SLOT_US;
    this.slack[this.slackSamples++ % WINDOW_PACKETS] = playUs - nowUs;
    if (this.slackSamples >= WINDOW_PACKETS && this.slackSamples % 10 === 0) {
      let min = Infinity;
      for (const v of this.slack) min = Math.min(min, v);
      if (min > this.marginUs + SLOT_US) {
        this.accelerate();
        for (let i = 0; i < WINDOW_PACKETS; i++) this.slack[i]! -= SLOT_US;
      }
    }
  }

  /** Plays every slot that is due at `nowUs`. */
  override tick(nowUs: number): void {
    while (!Number.isNaN(this.nextPlayUs) && this.nextPlayUs <= nowUs) this.playSlot(this.nextPlayUs);
  }

  /** When the next slot is due, or undefined before the first packet. */
  nextDueUs(): number | undefined {
    return Number.isNaN(this.nextPlayUs) ? undefined : this.nextPlayUs;
  }

  override stats(): StageStats {
    return { ...this.counters, held: this.held.size, bufferedMs: this.bufferedUs / 1000 };
  }

  private playSlot(atUs: number): void {
    this.counters.slots++;
    const ts = this.nextTs;
    const entry = this.held.get(ts);
    let kind: PlayoutSlot["kind"];
    let advance = true;
    if (entry) {
      this.held.delete(ts);
      kind = "normal";
      this.lastPlayedSeq = entry.seq;
      this.stretchRun = 0;
    } else if (this.held.size > 0) {
      // Later packets are here: this slot's packet was lost, unless the sequence numbers say
      // nothing is missing (the sender paused in DTX).
      let firstSeq = Infinity;
      let firstTs = Infinity;
      for (const [t, e] of this.held) if (t < firstTs) (firstTs = t), (firstSeq = e.seq);
      kind = firstSeq === this.lastPlayedSeq + 1 ? "dtx" : "loss";
      this.stretchRun = 0;
    } else {
      kind = this.stretchRun >= this.maxStretch ? "dtx" : "underrun";
      // Hold the timeline still so a late packet still plays (adds one slot of delay).
      if (kind === "underrun") {
        advance = false;
        this.stretchRun++;
      }
    }
    this.counters[kind]++;
    const rtpTimestamp = ts % 0x1_0000_0000;
    if (advance) this.nextTs += AUDIO_FRAME_SAMPLES;
    this.nextPlayUs += SLOT_US;
    this.out.push({ packet: entry ? entry.packet : null, kind, rtpTimestamp }, atUs);
  }

  private accelerate(): void {
    // Drop the next slot's packet (or skip an empty slot): the timeline loses 20 ms of delay.
    const entry = this.held.get(this.nextTs);
    if (entry) {
      this.held.delete(this.nextTs);
      this.lastPlayedSeq = entry.seq;
    }
    this.nextTs += AUDIO_FRAME_SAMPLES;
    this.counters.accelerated++;
  }
}
