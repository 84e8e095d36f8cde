/**
 * Chooses the video encoder's resolution and frame rate for the bitrate it is given (and the
 * CPU it has): bitrate first, then frame rate, then resolution. The bitrate always follows
 * the allocator at once; the resolution and frame rate change only when the bitrate leaves
 * the current state's range, with hysteresis so a noisy estimate does not make them flap.
 *
 * The ladder, derived from the capture size: resolutions at scales 1, 3/4, 1/2, 1/4 (640x480
 * → 480x360 → 320x240 → 160x120; aspect kept, dimensions even), each at the capture frame
 * rate, 2/3 and 1/2 of it, the lowest resolution further down to `minFps`. A state's minimum
 * bitrate is bits-per-pixel x pixels x fps, with
 *   bpp(pixels) = baseBpp x (referencePixels / pixels)^0.25,  baseBpp = 0.05 at 640x480.
 * Why these numbers: the Kush gauge (bitrate ≈ pixels x fps x motion x 0.07) puts low-motion
 * video at ~0.07 bpp for H.264-class codecs; VP8 realtime at talking-head motion stays
 * watchable down to ~0.05 bpp at VGA and turns blocky below it. Smaller frames need more bits
 * per pixel (per-frame and per-macroblock header cost, less redundancy between neighbouring
 * pixels), which is what the 0.25 exponent models: bitrate ∝ pixels^0.75, the usual
 * rule of thumb. It gives 640x480@30 ≥ 461 kbps, 320x240@15 ≥ 81 kbps, 160x120@30 ≥ 58 kbps,
 * 160x120@10 ≥ 19 kbps; libwebrtc's VP8 per-resolution minima (30 kbps at 320x180, 150 kbps
 * at 640x360, its simulcast table) are of the same order. States whose minimum is below the
 * next resolution's full-rate minimum are left out, so minima fall strictly down the ladder
 * and a lower bitrate never picks a larger picture.
 *
 * No rung is smaller than 160x120 (160x90 at 16:9; unless the capture is): below it a face is a few blocks,
 * and a lower frame rate at 160x120 costs less than the keyframe of a smaller size.
 *
 * Hysteresis: down when the bitrate has stayed below the current state's minimum for
 * `downHoldUs`, then straight to the state that fits (one keyframe, not one per rung); below
 * `severeDownFactor` of the minimum the frame rate drops at once, down to the lowest state of
 * the current resolution, and the resolution follows after the hold, except when the bitrate
 * is under `collapseFactor` of what the current resolution needs at its lowest frame rate:
 * then the resolution jumps at once, even right after the frame rate dropped, to the state
 * that fits `collapseFactor` of the bitrate (a path that got slower by 2x or more is not
 * noise, and half a second of frames too big for it is what fills the bottleneck queue after
 * a capacity drop; on the forward-only step trace the p95 queue fell from 120 to 49 ms; with
 * both directions stepped the pushed-back target falls from 880 to 100 kbps within 0.3 s, and
 * 640x480 frames of 4-10 KB kept coming for another 0.45 s, 0.6 s of the 200 kbps link;
 * sized for half of where the rate is, a rate still falling does not cost a second keyframe;
 * a second size change waits for the hold); up only when a higher state's minimum
 * x `upFactor` has been met for `upHoldUs` and as long since the last step down (for paused
 * video, `resumeHoldUs`). Below the lowest state's minimum the video pauses (bitrate 0) and
 * the audio carries the call.
 * CPU: an "overuse" signal (CpuOveruseDetector) caps the ladder one state below the current
 * one, an "underuse" lifts the cap by one; the bitrate rule then applies under the cap.
 * Pure: time is an argument.
 */
import { InvalidOptionError, checkInt, checkRange } from "../errors.js";
import type { CpuSignal } from "./cpu-overuse-detector.js";

/** The smallest rung: 160x120, or 160x90 at 16:9 (a smaller capture is its own only size). */
const MIN_PIXELS = 160 * 90;

/** One rung of the ladder. */
export interface VideoQualityState {
  width: number;
  height: number;
  fps: number;
  /** Least bitrate this state is used at (bits/s). */
  minBitrateBps: number;
}

/** What the encoder should do now. */
export interface VideoQualityDecision {
  width: number;
  height: number;
  fps: number;
  /** Encoder target (bits/s), 0 when paused. */
  bitrateBps: number;
  paused: boolean;
  /** Index into `states` (states.length when paused). */
  stateIndex: number;
  /** True when width, height, fps or paused differ from the previous decision. */
  changed: boolean;
  /** Whether the CPU cap (not the bitrate) sets the state. */
  cpuLimited: boolean;
}

/** Options of {@link VideoQualityLadder}. */
export interface VideoQualityLadderOptions {
  /** Capture (and top-rung) width, even. */
  captureWidth: number;
  /** Capture height, even. */
  captureHeight: number;
  /** Capture frame rate (default 30). */
  captureFps?: number;
  /** Resolution scales, descending, first 1 (default [1, 0.75, 0.5, 0.25]). */
  scales?: readonly number[];
  /** Frame-rate factors tried at each resolution, descending, first 1 (default [1, 2/3, 1/2]). */
  fpsFactors?: readonly number[];
  /** Lowest frame rate, reached at the lowest resolution (default 10). */
  minFps?: number;
  /** Bits per pixel at `referencePixels` a state needs (default 0.05). */
  baseBitsPerPixel?: number;
  /** Pixels at which `baseBitsPerPixel` applies (default 640 x 480). */
  referencePixels?: number;
  /** Up-switch threshold as a multiple of the state's minimum (default 1.3). */
  upFactor?: number;
  /** Below this fraction of the current minimum, step down at once (default 0.75). */
  severeDownFactor?: number;
  /**
   * Below this fraction of the lowest minimum at the current resolution, the resolution steps
   * down at once to the state that fits, without the hold (default 0.5).
   */
  collapseFactor?: number;
  /** How long the bitrate must stay low before a step down, µs (default 500 000). */
  downHoldUs?: number;
  /** How long the bitrate must stay high (and since the last step down) before a step up, µs (default 3 000 000). */
  upHoldUs?: number;
  /** The same hold for resuming paused video, µs (default 1 000 000: a picture back soon after an outage). */
  resumeHoldUs?: number;
  /** Highest encoder bitrate handed out (default Infinity). */
  maxBitrateBps?: number;
}

/** Resolution/frame-rate ladder with hysteresis; see the file comment. */
export class VideoQualityLadder {
  /** The rungs, best first; minimum bitrates strictly decreasing. */
  readonly states: readonly VideoQualityState[];
  private readonly upFactor: number;
  private readonly severeFactor: number;
  private readonly collapseFactor: number;
  private readonly downHoldUs: number;
  private readonly upHoldUs: number;
  private readonly resumeHoldUs: number;
  private readonly maxBitrateBps: number;
  private readonly captureIntervalUs: number;

  private index = 0;
  private cpuMinIndex = 0;
  private belowSinceUs = NaN;
  private aboveSinceUs = NaN;
  private lastDownUs = -Infinity;
  private lastResizeUs = -Infinity;
  private last: VideoQualityDecision | undefined;
  private nextFrameUs = NaN;
  private counters = { updates: 0, switches: 0, stepsDown: 0, stepsUp: 0, pauses: 0, cpuOveruses: 0, cpuUnderuses: 0, framesTaken: 0, framesSkipped: 0 };

  constructor(options: VideoQualityLadderOptions) {
    const cw = checkInt("captureWidth", options.captureWidth, 2, 16384);
    const ch = checkInt("captureHeight", options.captureHeight, 2, 16384);
    const fps = checkRange("captureFps", options.captureFps ?? 30, 1, 120);
    const minFps = checkRange("minFps", options.minFps ?? 10, 1, fps);
    const scales = options.scales ?? [1, 0.75, 0.5, 0.25];
    const factors = options.fpsFactors ?? [1, 2 / 3, 1 / 2];
    checkDescendingFromOne("scales", scales);
    checkDescendingFromOne("fpsFactors", factors);
    const bpp = checkRange("baseBitsPerPixel", options.baseBitsPerPixel ?? 0.05, 1e-4, 10);
    const refPx = checkRange("referencePixels", options.referencePixels ?? 640 * 480, 1, 1e9);
    this.upFactor = checkRange("upFactor", options.upFactor ?? 1.3, 1, 10);
    this.severeFactor = checkRange("severeDownFactor", options.severeDownFactor ?? 0.75, 0, 1);
    this.collapseFactor = checkRange("collapseFactor", options.collapseFactor ?? 0.5, 0, 1);
    this.downHoldUs = checkRange("downHoldUs", options.downHoldUs ?? 500_000, 0, 60_000_000);
    this.upHoldUs = checkRange("upHoldUs", options.upHoldUs ?? 3_000_000, 0, 600_000_000);
    this.resumeHoldUs = checkRange("resumeHoldUs", options.resumeHoldUs ?? 1_000_000, 0, 600_000_000);
    this.maxBitrateBps = options.maxBitrateBps === undefined ? Infinity : checkRange("maxBitrateBps", options.maxBitrateBps, 1_000, 1e10);
    this.captureIntervalUs = 1e6 / fps;
    this.states = buildLadder(cw, ch, fps, minFps, scales, factors, bpp, refPx);
  }

  /** The video bitrate below which video pauses (the last rung's minimum). */
  get pauseBelowBps(): number {
    return this.states[this.states.length - 1]!.minBitrateBps;
  }

  /**
   * Takes the video bitrate the allocator gives (bits/s), the time, and the CPU detector's
   * verdict; returns the state to encode at. `urgent`: the caller knows the path got much
   * slower and gives the rate it is heading to; the resolution changes at once, as in a
   * collapse (to the state that fits `collapseFactor` of it, once per hold). `qpHigh`: the encoder is starved at this size
   * (EncoderQpMonitor); the rate may raise the frame rate but not the size.
   */
  update(videoBitrateBps: number, nowUs: number, cpu: CpuSignal = "normal", urgent = false, qpHigh = false): VideoQualityDecision {
    const bitrate = Number.isFinite(videoBitrateBps) && videoBitrateBps > 0 ? videoBitrateBps : 0;
    this.counters.updates++;
    const n = this.states.length;
    const minOf = (i: number): number => (i < n ? this.states[i]!.minBitrateBps : 0);
    const firstFit = (factor: number): number => {
      for (let i = 0; i < n; i++) if (bitrate >= factor * minOf(i)) return i;
      return n;
    };
    // The first decision starts where the bitrate fits: there is no earlier state to hold, and
    // starting at the top would make the first keyframe, the largest frame of the call, at a
    // size the path may not carry (640x480 of the test pattern was 33 KB at a 249 kbps target,
    // two seconds of a 125 kbps 3G link) until the down hold had passed.
    if (this.last === undefined) this.index = firstFit(1);
    // Bitrate rule, with hysteresis.
    const fit = firstFit(1);
    if (fit > this.index) {
      this.aboveSinceUs = NaN;
      if (Number.isNaN(this.belowSinceUs)) this.belowSinceUs = nowUs;
      // A collapse changes the size at most once per hold (each size change is a keyframe).
      const collapsing = bitrate < this.collapseFactor * minOf(this.lowestAtSameSize(this.index));
      if ((collapsing || urgent) && fit < n && nowUs - this.lastResizeUs >= this.downHoldUs) {
        this.index = Math.max(fit, Math.min(n - 1, firstFit(1 / this.collapseFactor)));
        this.lastDownUs = nowUs;
        this.belowSinceUs = NaN;
        this.counters.stepsDown++;
      } else if (nowUs - this.belowSinceUs >= this.downHoldUs) {
        this.index = fit;
        this.lastDownUs = nowUs;
        this.belowSinceUs = NaN;
        this.counters.stepsDown++;
      } else if (bitrate < this.severeFactor * minOf(this.index)) {
        // Far below: the frame rate drops at once, as far as this resolution goes (free for
        // the encoder); the resolution waits for the hold and then jumps straight to the fit,
        // because with VP8 every size change is a keyframe, and a keyframe per rung while the
        // rate is still falling is a burst per rung into a queue that is already full.
        // Below the lowest state's minimum, video pauses at once (no keyframe to pay for).
        const target = fit >= n && bitrate < this.severeFactor * minOf(n - 1) ? n : Math.min(fit, this.lowestAtSameSize(this.index));
        if (target > this.index) {
          this.index = target;
          this.lastDownUs = nowUs;
          this.counters.stepsDown++;
        }
      }
    } else {
      this.belowSinceUs = NaN;
      const fitUp = firstFit(this.upFactor);
      const up = qpHigh && this.index < n ? Math.max(fitUp, this.firstAtSameSize(this.index)) : fitUp;
      if (up < this.index) {
        if (Number.isNaN(this.aboveSinceUs)) this.aboveSinceUs = nowUs;
        const holdUs = this.index >= n ? this.resumeHoldUs : this.upHoldUs;
        if (nowUs - this.aboveSinceUs >= holdUs && nowUs - this.lastDownUs >= holdUs) {
          this.index = up;
          this.aboveSinceUs = NaN;
          this.counters.stepsUp++;
        }
      } else {
        this.aboveSinceUs = NaN;
      }
    }
    // CPU cap: one state below the shown one on overuse, one up on underuse; never a pause.
    const shownBefore = Math.max(this.index, this.cpuMinIndex);
    if (cpu === "overuse") {
      this.counters.cpuOveruses++;
      if (shownBefore < n) this.cpuMinIndex = Math.min(n - 1, shownBefore + 1);
    } else if (cpu === "underuse") {
      this.counters.cpuUnderuses++;
      this.cpuMinIndex = Math.max(0, this.cpuMinIndex - 1);
    }
    const paused = this.index >= n;
    const shown = paused ? n : Math.max(this.index, this.cpuMinIndex);
    const s = this.states[Math.min(shown, n - 1)]!;
    const d: VideoQualityDecision = {
      width: s.width,
      height: s.height,
      fps: s.fps,
      bitrateBps: paused ? 0 : Math.min(bitrate, this.maxBitrateBps),
      paused,
      stateIndex: shown,
      changed: false,
      cpuLimited: !paused && this.cpuMinIndex > this.index,
    };
    const prev = this.last;
    d.changed = prev === undefined || prev.width !== d.width || prev.height !== d.height || prev.fps !== d.fps || prev.paused !== d.paused;
    if (prev !== undefined && d.changed) {
      this.counters.switches++;
      if (!paused && !prev.paused && d.width * d.height < prev.width * prev.height) this.lastResizeUs = nowUs;
      if (paused && !prev.paused) this.counters.pauses++;
    }
    this.last = d;
    return d;
  }

  /** The first state with the same resolution as state `i`. */
  private firstAtSameSize(i: number): number {
    const { width, height } = this.states[i]!;
    let j = i;
    while (j > 0 && this.states[j - 1]!.width === width && this.states[j - 1]!.height === height) j--;
    return j;
  }

  /** The last state with the same resolution as state `i`. */
  private lowestAtSameSize(i: number): number {
    const n = this.states.length;
    if (i >= n) return i;
    const { width, height } = this.states[i]!;
    let j = i;
    while (j + 1 < n && this.states[j + 1]!.width === width && this.states[j + 1]!.height === height) j++;
    return j;
  }

  /**
   * Frame-rate decimation for the current state: true when the frame captured at
   * `captureTimeUs` should be encoded (e.g. 2 of 3 frames at 20 of 30 fps), false to skip it.
   */
  takeFrame(captureTimeUs: number): boolean {
    const d = this.last;
    if (d?.paused) {
      this.counters.framesSkipped++;
      return false;
    }
    const interval = 1e6 / (d?.fps ?? 1e6 / this.captureIntervalUs);
    const slack = this.captureIntervalUs / 4;
    if (Number.isNaN(this.nextFrameUs) || captureTimeUs + slack >= this.nextFrameUs) {
      // Keep the cadence, but restart it after a gap (or a time jump back).
      const late = Number.isNaN(this.nextFrameUs) || captureTimeUs - this.nextFrameUs > interval || captureTimeUs + slack < this.nextFrameUs - interval;
      this.nextFrameUs = late ? captureTimeUs + interval : this.nextFrameUs + interval;
      this.counters.framesTaken++;
      return true;
    }
    this.counters.framesSkipped++;
    return false;
  }

  stats(): Record<string, number> {
    return { ...this.counters, stateIndex: this.last?.stateIndex ?? 0, cpuMinIndex: this.cpuMinIndex };
  }
}

function checkDescendingFromOne(what: string, values: readonly number[]): void {
  if (values.length === 0 || values[0] !== 1 || values.some((v, i) => !(v > 0 && v <= 1) || (i > 0 && v >= values[i - 1]!))) {
    throw new InvalidOptionError(`Cannot use ${what}=${JSON.stringify(values)}: allowed is a strictly descending list of numbers in (0, 1] starting at 1`);
  }
}

function even(x: number): number {
  return Math.max(2, 2 * Math.round(x / 2));
}

/** The ladder of the file comment. Exported for tests and tools. */
export function buildLadder(
  captureWidth: number, captureHeight: number, captureFps: number, minFps: number,
  scales: readonly number[], fpsFactors: readonly number[], baseBpp: number, referencePixels: number,
): VideoQualityState[] {
  const minBitrate = (w: number, h: number, fps: number): number => baseBpp * Math.pow(referencePixels / (w * h), 0.25) * w * h * fps;
  // Distinct resolutions.
  const sizes: Array<[number, number]> = [];
  for (const s of scales) {
    const w = even(captureWidth * s);
    const h = even(captureHeight * s);
    const prev = sizes[sizes.length - 1];
    if (prev && w * h < MIN_PIXELS) break;
    if (!prev || prev[0] !== w || prev[1] !== h) sizes.push([w, h]);
  }
  const out: VideoQualityState[] = [];
  sizes.forEach(([w, h], r) => {
    const last = r === sizes.length - 1;
    const rates = fpsFactors.map((f) => Math.max(minFps, Math.round(captureFps * f)));
    if (last && rates[rates.length - 1]! > minFps) rates.push(minFps);
    const next = sizes[r + 1];
    const floor = next ? minBitrate(next[0], next[1], captureFps) : 0;
    let prevFps = Infinity;
    rates.forEach((fps, k) => {
      if (fps >= prevFps) return;
      const m = minBitrate(w, h, fps);
      // Full rate always; lower rates only while above the next resolution's full-rate minimum.
      if (k > 0 && m <= floor) return;
      prevFps = fps;
      out.push({ width: w, height: h, fps, minBitrateBps: Math.round(m) });
    });
  });
  return out;
}
