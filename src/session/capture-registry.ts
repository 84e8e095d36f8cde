/**
 * Measurement instrumentation, not part of the media path: the sender records, per RTP
 * timestamp, when the frame was captured and which source frame it was, so the receiver's
 * measurements (capture-to-render latency, PSNR against the source) are exact. Bounded: only
 * the most recent `capacity` entries are kept.
 */
export interface CaptureRecord<F> {
  captureTimeUs: number;
  frameIndex: number;
  /** The raw source frame, when the caller keeps it for quality comparison. */
  frame?: F;
}

export class CaptureRegistry<F = unknown> {
  private readonly map = new Map<number, CaptureRecord<F>>();
  private readonly byIndex = new Map<number, F>();

  constructor(private readonly capacity = 256) {}

  record(rtpTimestamp: number, entry: CaptureRecord<F>): void {
    this.map.set(rtpTimestamp >>> 0, entry);
    if (entry.frame !== undefined) this.byIndex.set(entry.frameIndex, entry.frame);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as number;
      const rec = this.map.get(oldest);
      if (rec) this.byIndex.delete(rec.frameIndex);
      this.map.delete(oldest);
    }
  }

  /** The source frame with this index, if still kept. */
  lookupByIndex(frameIndex: number): F | undefined {
    return this.byIndex.get(frameIndex);
  }

  lookup(rtpTimestamp: number): CaptureRecord<F> | undefined {
    return this.map.get(rtpTimestamp >>> 0);
  }
}
