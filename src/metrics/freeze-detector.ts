/**
 * Counts video freezes as WebRTC's stats define them (freezeCount / totalFreezesDuration in
 * the W3C webrtc-stats spec, as libwebrtc computes them): a frame shown after an interval
 * longer than max(3 x mean frame duration, mean + 150 ms) ends a freeze that lasted that
 * whole interval. The mean is over recent intervals that were not freezes.
 */
export class FreezeDetector {
  private lastRenderUs = NaN;
  private readonly recent: number[] = [];
  private sumRecent = 0;
  private count = 0;
  private totalUs = 0;
  private longestUs = 0;
  private readonly windowFrames: number;
  /** Freezes as [startUs, endUs] pairs, for plots. */
  readonly freezes: [number, number][] = [];

  /**
   * @param windowFrames intervals averaged for the mean frame duration
   * @param nominalFrameUs the mean to assume before two frames were shown (e.g. 1/fps), so a
   *   stream that shows almost nothing still counts as frozen
   */
  constructor(windowFrames = 30, private readonly nominalFrameUs = NaN) {
    this.windowFrames = windowFrames;
  }

  /** Call for every frame rendered (displayed), in time order. */
  frameRendered(nowUs: number): void {
    if (!Number.isNaN(this.lastRenderUs)) {
      const interval = nowUs - this.lastRenderUs;
      const mean = this.recent.length > 0 ? this.sumRecent / this.recent.length : this.nominalFrameUs;
      if (!Number.isNaN(mean) && interval > Math.max(3 * mean, mean + 150_000)) {
        this.count++;
        this.totalUs += interval;
        this.longestUs = Math.max(this.longestUs, interval);
        this.freezes.push([this.lastRenderUs, nowUs]);
      } else {
        this.recent.push(interval);
        this.sumRecent += interval;
        if (this.recent.length > this.windowFrames) this.sumRecent -= this.recent.shift()!;
      }
    }
    this.lastRenderUs = nowUs;
  }

  /**
   * Closes the measurement at `endUs`: a stream that stopped rendering before the end counts
   * the silence as a freeze too, if it is long enough.
   */
  finish(endUs: number, startUs = NaN): void {
    // Nothing shown at all: frozen from the start (when the caller says when that was).
    if (Number.isNaN(this.lastRenderUs)) this.lastRenderUs = startUs;
    if (Number.isNaN(this.lastRenderUs)) return;
    const mean = this.recent.length > 0 ? this.sumRecent / this.recent.length : this.nominalFrameUs;
    const interval = endUs - this.lastRenderUs;
    if (!Number.isNaN(mean) && interval > Math.max(3 * mean, mean + 150_000)) {
      this.count++;
      this.totalUs += interval;
      this.longestUs = Math.max(this.longestUs, interval);
      this.freezes.push([this.lastRenderUs, endUs]);
    }
    this.lastRenderUs = endUs;
  }

  stats(): { count: number; totalMs: number; longestMs: number } {
    return { count: this.count, totalMs: this.totalUs / 1000, longestMs: this.longestUs / 1000 };
  }
}
