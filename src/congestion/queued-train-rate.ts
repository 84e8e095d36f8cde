/**
 * The bottleneck's rate, read from packets that queued there (ours; the packet-train dispersion
 * of Jacobson's packet pair and of BBR's delivery-rate samples). While a queue stands at the
 * bottleneck, our packets leave it back to back, so their spacing on arrival is their size over
 * the bottleneck's rate, whatever the spacing they were sent with. A run of consecutive received
 * packets that each waited at least `QUEUED_MS` (one-way offset above the base offset), each
 * behind the one before it (arriving less than its own offset after it), therefore measures
 * the rate directly: bytes after the first / arrival span.
 *
 * Why GCC needs it: after a sudden drop (1 Mbps to 200 kbps) the trendline's smoothed slope and
 * the standing-queue threshold both wait for the queue to grow; the first three queued packets
 * already say the path carries a fifth of the estimate, and a call reacting then holds 0.9 s
 * of queue instead of 1.4 s. A keyframe burst also queues, but at a bottleneck that carries the
 * estimate, so its train reads about the estimate and does not count as a drop.
 */

/** A packet counts as queued when its offset exceeds the base by this much (ms): above a jittery path's spread. */
export const QUEUED_MS = 30;
/** A train needs this many queued packets in a row. */
const MIN_PACKETS = 3;
/** ...and this much arrival span (µs), so that one coarse arrival timestamp does not dominate. */
const MIN_SPAN_US = 40_000;
/** The train measures at most the last this many packets (a sliding window). */
const MAX_PACKETS = 16;

/** Rate of the current run of queued packets at the bottleneck. */
export class QueuedTrainRate {
  private readonly arrivalsUs = new Float64Array(MAX_PACKETS);
  private readonly sizes = new Float64Array(MAX_PACKETS);
  private head = 0;
  private count = 0;

  /**
   * One received packet, in arrival order: its arrival (receiver clock, µs), size (bytes) and
   * queue delay (ms, offset above the base; NaN when not known yet).
   */
  onPacket(arrivalUs: number, sizeBytes: number, queueMs: number): void {
    if (!(queueMs >= QUEUED_MS) || !Number.isFinite(arrivalUs)) {
      this.count = 0;
      return;
    }
    const last = this.count > 0 ? this.arrivalsUs[(this.head + this.count - 1) % MAX_PACKETS]! : -Infinity;
    if (arrivalUs < last) {
      this.count = 0;
    } else if (arrivalUs - last >= queueMs * 1000) {
      // It reached the bottleneck after the packet before it had left (its arrival gap is longer
      // than its own delay above the base: send + base offset came after that arrival), so its
      // spacing is the sender's, not the link's: a new train starts with it. On a slow link a
      // lone packet's own transmission (1200 B at 124 kbps: 77 ms) is over QUEUED_MS, and 3G
      // video frames sent 150 ms apart read as a 37-59 kbps "train" on a 124 kbps path.
      this.count = 0;
    }
    const slot = (this.head + this.count) % MAX_PACKETS;
    this.arrivalsUs[slot] = arrivalUs;
    this.sizes[slot] = sizeBytes;
    if (this.count < MAX_PACKETS) this.count++;
    else this.head = (this.head + 1) % MAX_PACKETS;
  }

  /** The train's rate (bps), or NaN without a train of at least 3 packets over 40 ms. */
  rateBps(): number {
    if (this.count < MIN_PACKETS) return NaN;
    const first = this.arrivalsUs[this.head]!;
    const last = this.arrivalsUs[(this.head + this.count - 1) % MAX_PACKETS]!;
    const span = last - first;
    if (span < MIN_SPAN_US) return NaN;
    let bytes = 0;
    for (let i = 1; i < this.count; i++) bytes += this.sizes[(this.head + i) % MAX_PACKETS]!;
    return (bytes * 8e6) / span;
  }

  /** Forgets the train (after acting on it, or a stream timeout). */
  reset(): void {
    this.count = 0;
  }
}
