/**
 * The standing queue at the bottleneck, from TWCC feedback: each packet's one-way offset
 * (arrival on the receiver's clock − send on ours) less the base offset, the least seen over
 * the last 10 s (the path's fixed delay plus the clock offset; LEDBAT's base delay, RFC 6817
 * 4.1, with its 1-minute buckets shortened to 1 s ones so a route change is forgotten in 10 s).
 * Per feedback the queue is the *least* excess among its packets: a keyframe's burst raises the
 * later packets of a feedback, a standing queue raises all of them.
 *
 * Why GCC needs it (ours, not libwebrtc's): the trendline sees the slope of the delay, smoothed
 * (0.9 per group) over 20 groups. After a sudden drop from 1 Mbps to 200 kbps the slope took
 * 0.5-0.9 s to cross the threshold (it starts negative while the previous queue drains), and by
 * then a 300 ms (at 1 Mbps) drop-tail buffer holds 1.5 s. The absolute queue says "too much" as
 * soon as the first feedback from inside it arrives.
 */

/** Base-offset buckets (1 s each, 10 s in all). */
const BUCKET_US = 1_000_000;
const BUCKETS = 10;

/** Standing-queue estimate over TWCC feedback. */
export class StandingQueueDetector {
  private readonly bucketMinUs = new Float64Array(BUCKETS).fill(Infinity);
  private readonly bucketStartUs = new Float64Array(BUCKETS).fill(-Infinity);
  private firstUs = NaN;

  private leastUs = Infinity;

  /** One received packet of a feedback: send time on our clock, arrival on the receiver's (µs). */
  onPacket(sendTimeUs: number, arrivalTimeUs: number): void {
    const offset = arrivalTimeUs - sendTimeUs;
    if (!Number.isFinite(offset)) return;
    this.addToBase(offset, sendTimeUs);
    if (offset < this.leastUs) this.leastUs = offset;
  }

  /**
   * The end of a feedback: the least queue delay among its packets (ms), or NaN while the base
   * is younger than a second or the feedback held no packet.
   */
  endFeedback(nowUs: number): number {
    const least = this.leastUs;
    this.leastUs = Infinity;
    if (!Number.isFinite(least)) return NaN;
    if (Number.isNaN(this.firstUs)) this.firstUs = nowUs;
    if (nowUs - this.firstUs < BUCKET_US) return NaN;
    return Math.max(0, (least - this.baseUs()) / 1000);
  }

  /** One packet's queue delay (ms) against the current base; NaN while the base is younger than a second. */
  queueMsOf(sendTimeUs: number, arrivalTimeUs: number, nowUs: number): number {
    if (Number.isNaN(this.firstUs) || nowUs - this.firstUs < BUCKET_US) return NaN;
    return (arrivalTimeUs - sendTimeUs - this.baseUs()) / 1000;
  }

  /** The base offset (µs): the least over the last 10 s of send time. */
  baseUs(): number {
    let m = Infinity;
    for (let i = 0; i < BUCKETS; i++) if (this.bucketMinUs[i]! < m) m = this.bucketMinUs[i]!;
    return m;
  }

  private addToBase(offsetUs: number, sendUs: number): void {
    const slot = Math.floor(sendUs / BUCKET_US);
    const i = ((slot % BUCKETS) + BUCKETS) % BUCKETS;
    const start = slot * BUCKET_US;
    if (this.bucketStartUs[i] !== start) {
      // A packet from a bucket older than the one this slot holds now is too old to count.
      if (start < this.bucketStartUs[i]!) return;
      this.bucketStartUs[i] = start;
      this.bucketMinUs[i] = offsetUs;
    } else if (offsetUs < this.bucketMinUs[i]!) {
      this.bucketMinUs[i] = offsetUs;
    }
  }
}
