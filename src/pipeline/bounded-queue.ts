import { checkInt, checkOneOf } from "../errors.js";

export type OverflowPolicy = "drop-oldest" | "drop-newest" | "reject";

export interface BoundedQueueOptions {
  /** Maximum items held (default 8). */
  capacity?: number;
  /**
   * What happens when full (default "drop-oldest", right for live media: the newest frame
   * matters most). "reject" makes `offer` return false so the producer can apply back-pressure.
   */
  overflow?: OverflowPolicy;
}

/**
 * A fixed-capacity FIFO ring for the boundary between async work (a codec worker, a capture
 * process) and the synchronous stage chain. It never grows: overflow is counted, not buffered.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  private readonly ring: (T | undefined)[];
  private head = 0;
  private count = 0;
  private dropped = 0;
  private offered = 0;

  constructor(options: BoundedQueueOptions = {}) {
    this.capacity = checkInt("capacity", options.capacity ?? 8, 1, 1 << 20);
    this.overflow = checkOneOf("overflow", options.overflow ?? "drop-oldest", ["drop-oldest", "drop-newest", "reject"]);
    this.ring = new Array<T | undefined>(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Adds an item; returns false when it (or the oldest item) had to be dropped or rejected. */
  offer(item: T): boolean {
    this.offered++;
    if (this.count === this.capacity) {
      if (this.overflow !== "drop-oldest") {
        if (this.overflow === "drop-newest") this.dropped++;
        return false;
      }
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
      this.dropped++;
      this.ring[(this.head + this.count) % this.capacity] = item;
      this.count++;
      return false;
    }
    this.ring[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  poll(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  clear(): void {
    while (this.count > 0) this.poll();
  }

  stats(): { offered: number; dropped: number; size: number } {
    return { offered: this.offered, dropped: this.dropped, size: this.count };
  }
}
