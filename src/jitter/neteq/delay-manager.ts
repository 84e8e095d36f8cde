import { InvalidOptionError, checkInt, checkRange } from "../../errors.js";

/** Options of {@link DelayManager}. Defaults and their reasons are on each field. */
export interface DelayManagerOptions {
  /** Target before any evidence, ms (default 80: libwebrtc's kStartDelayMs). */
  startDelayMs?: number;
  /** Lower bound of the target, ms (default 20: one packet). */
  minDelayMs?: number;
  /** Upper bound of the target, ms (default 1000; keep it below the packet buffer's span). */
  maxDelayMs?: number;
  /** Percentile of the relative-delay distribution the target covers (default 95, libwebrtc's quantile). */
  percentile?: number;
  /** Histogram bucket width, ms (default 5; libwebrtc uses 20, coarser than a 20 ms frame needs). */
  bucketMs?: number;
  /**
   * The histogram gets one sample per interval: the largest relative delay seen in it
   * (default 100 ms = 5 packets; libwebrtc resamples every 500 ms). Taking the max makes the
   * 95th percentile of the histogram cover ~99% of packets, so concealment from late packets
   * stays near 1% rather than 5%.
   */
  resampleIntervalMs?: number;
  /**
   * Per-interval forget factor of the histogram (default 0.95: with 100 ms intervals a time
   * constant of 1/(1−0.95) = 20 intervals = 2 s). After jitter stops, the tail mass above the
   * quiet level decays as 0.95^n, so the 95th percentile falls once 0.95^n < 0.05, n ≈ 58
   * intervals ≈ 6 s. libwebrtc (0.983 per 500 ms, τ ≈ 30 s) forgets much more slowly; the issue
   * wants the delay to shrink within a call, and 2 s still spans several jitter bursts.
   */
  forgetFactor?: number;
  /** Window of the relative-delay baseline (the fastest packet), ms (default 2000, as libwebrtc). */
  historyMs?: number;
  /** Packet duration added to the percentile to get a buffer level target, ms (default 20). */
  packetMs?: number;
}

const MAX_PLAUSIBLE_MS = 10_000; // a relative delay beyond this is a timestamp jump, not jitter
const JUMP_CONFIRM = 3; // consecutive jumped packets that confirm a new timeline

/**
 * NetEQ's delay manager: the target playout delay from the distribution of packet arrival
 * delays. For each packet, d = arrival time − media time (RTP timestamp / 48 kHz); the
 * relative delay is d minus the smallest d of the last `historyMs` (the fastest recent packet,
 * so clock offset and slow drift cancel). Every `resampleIntervalMs` the largest relative delay
 * of the interval enters a histogram with exponential forgetting; the target is its
 * `percentile`-th percentile plus one packet, bounded by [minDelayMs, maxDelayMs]. The histogram
 * starts with all its mass at `startDelayMs`, which therefore holds until ~6 s of evidence
 * (0.95^58 < 0.05) has replaced it. A relative delay beyond 10 s is a timestamp jump: ignored, and after 3 in a row
 * the baseline restarts on the new timeline.
 */
export class DelayManager {
  private readonly startMs: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly quantile: number;
  private readonly bucketMs: number;
  private readonly intervalUs: number;
  private readonly forget: number;
  private readonly historyUs: number;
  private readonly packetMs: number;
  private readonly hist: Float64Array;
  private readonly histArrival: Float64Array;
  private readonly histDelay: Float64Array;
  private histStart = 0;
  private histCount = 0;
  private intervalStartUs = NaN;
  private intervalMax = -Infinity;
  private jumpRun = 0;
  private lastRelativeMs = 0;
  private targetCache = NaN;
  private readonly counters = { updates: 0, histogramSamples: 0, timestampJumps: 0, baselineResets: 0 };

  constructor(options: DelayManagerOptions = {}) {
    this.startMs = checkRange("startDelayMs", options.startDelayMs ?? 80, 0, 10_000);
    this.minMs = checkRange("minDelayMs", options.minDelayMs ?? 20, 0, 10_000);
    this.maxMs = checkRange("maxDelayMs", options.maxDelayMs ?? 1000, 10, 10_000);
    if (this.minMs > this.maxMs) throw new InvalidOptionError(`Cannot use minDelayMs=${this.minMs}: it must not exceed maxDelayMs=${this.maxMs}`);
    this.quantile = checkRange("percentile", options.percentile ?? 95, 50, 100) / 100;
    this.bucketMs = checkRange("bucketMs", options.bucketMs ?? 5, 1, 100);
    this.intervalUs = checkRange("resampleIntervalMs", options.resampleIntervalMs ?? 100, 0, 10_000) * 1000;
    this.forget = checkRange("forgetFactor", options.forgetFactor ?? 0.95, 0, 0.99999);
    this.historyUs = checkRange("historyMs", options.historyMs ?? 2000, 20, 60_000) * 1000;
    this.packetMs = checkRange("packetMs", options.packetMs ?? 20, 0, 120);
    const buckets = Math.ceil(this.maxMs / this.bucketMs) + 1;
    this.hist = new Float64Array(buckets);
    this.hist[Math.min(buckets - 1, Math.max(0, Math.ceil((this.startMs - this.packetMs) / this.bucketMs) - 1))] = 1;
    const cap = checkInt("history capacity", 512, 2, 1 << 20);
    this.histArrival = new Float64Array(cap);
    this.histDelay = new Float64Array(cap);
  }

  /**
   * Records one packet: its unwrapped 48 kHz timestamp and arrival time. Late and reordered
   * packets count too (their lateness is the evidence); duplicates should not be passed.
   * Returns the packet's relative delay (ms).
   */
  update(timestampSamples: number, arrivalUs: number): number {
    if (!Number.isFinite(timestampSamples) || !Number.isFinite(arrivalUs)) return 0;
    this.counters.updates++;
    const d = arrivalUs / 1000 - timestampSamples / 48;
    const base = this.baseline(arrivalUs);
    if (Number.isFinite(base) && Math.abs(d - base) > MAX_PLAUSIBLE_MS) {
      this.counters.timestampJumps++;
      if (++this.jumpRun < JUMP_CONFIRM) return 0;
      this.histCount = 0; // new timeline: restart the baseline
      this.counters.baselineResets++;
    }
    this.jumpRun = 0;
    this.pushHistory(arrivalUs, d);
    const rel = d - this.baseline(arrivalUs);
    this.lastRelativeMs = rel;
    if (Number.isNaN(this.intervalStartUs)) this.intervalStartUs = arrivalUs;
    this.intervalMax = Math.max(this.intervalMax, rel);
    if (arrivalUs - this.intervalStartUs >= this.intervalUs) {
      this.addToHistogram(this.intervalMax);
      this.intervalStartUs = arrivalUs;
      this.intervalMax = -Infinity;
    }
    return rel;
  }

  /** The target buffer level, ms: percentile of relative delay + one packet, within [min, max]. */
  targetDelayMs(): number {
    if (!Number.isNaN(this.targetCache)) return this.targetCache;
    let acc = 0;
    let b = 0;
    for (; b < this.hist.length - 1; b++) {
      acc += this.hist[b]!;
      if (acc >= this.quantile) break;
    }
    const q = (b + 1) * this.bucketMs; // upper edge of the bucket: the safe side
    return (this.targetCache = Math.min(this.maxMs, Math.max(this.minMs, q + this.packetMs)));
  }

  /** The relative delay of the last packet (ms), for stats. */
  get lastRelativeDelayMs(): number {
    return this.lastRelativeMs;
  }

  stats(): Record<string, number> {
    return { ...this.counters, targetDelayMs: this.targetDelayMs() };
  }

  private addToHistogram(relMs: number): void {
    const h = this.hist;
    const k = Math.min(h.length - 1, Math.max(0, Math.floor(Math.max(0, relMs) / this.bucketMs)));
    for (let i = 0; i < h.length; i++) h[i]! *= this.forget;
    h[k]! += 1 - this.forget;
    this.counters.histogramSamples++;
    this.targetCache = NaN;
  }

  private pushHistory(arrivalUs: number, d: number): void {
    const cap = this.histArrival.length;
    // Drop entries older than the window (arrival order is time order).
    while (this.histCount > 0 && this.histArrival[this.histStart]! < arrivalUs - this.historyUs) {
      this.histStart = (this.histStart + 1) % cap;
      this.histCount--;
    }
    if (this.histCount === cap) {
      this.histStart = (this.histStart + 1) % cap;
      this.histCount--;
    }
    const i = (this.histStart + this.histCount) % cap;
    this.histArrival[i] = arrivalUs;
    this.histDelay[i] = d;
    this.histCount++;
  }

  private baseline(arrivalUs: number): number {
    const cap = this.histArrival.length;
    let min = Infinity;
    for (let k = 0; k < this.histCount; k++) {
      const i = (this.histStart + k) % cap;
      if (this.histArrival[i]! >= arrivalUs - this.historyUs) min = Math.min(min, this.histDelay[i]!);
    }
    return min;
  }
}
