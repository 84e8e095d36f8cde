/**
 * The pacer's queue: one FIFO per packet kind, served in strict priority order (audio, then
 * retransmissions, video, FEC, padding). The idea is libwebrtc's PrioritizedPacketQueue
 * (formerly RoundRobinPacketQueue, modules/pacing/): audio and retransmissions jump the video
 * queue because they are small and late ones are useless; within one kind packets keep their
 * enqueue order, so a frame's packets are never reordered. Keeps the byte count and the sum of
 * enqueue times so the pacer can read the queue size and the average queue time in O(1).
 */

/** What a queued packet carries, from lowest number = highest priority. */
export type PacketKind = "audio" | "retransmission" | "video" | "fec" | "padding";

/** Kinds in the order the pacer serves them (index = priority, 0 first). */
export const PACKET_KINDS: readonly PacketKind[] = ["audio", "retransmission", "video", "fec", "padding"];

/** Priority of a kind: 0 is served first. */
export function packetKindPriority(kind: PacketKind): number {
  switch (kind) {
    case "audio":
      return 0;
    case "retransmission":
      return 1;
    case "video":
      return 2;
    case "fec":
      return 3;
    case "padding":
      return 4;
  }
}

/** One packet in (or leaving) the pacer. */
export interface PacedPacket<T> {
  /** The owner's packet (an RtpPacket, a protected datagram, ...). */
  readonly item: T;
  readonly kind: PacketKind;
  readonly sizeBytes: number;
  /** When it was enqueued (µs). */
  readonly enqueueTimeUs: number;
  /** The probe cluster it was sent for, or -1 (set when it leaves the pacer). */
  probeClusterId: number;
}

class Fifo<T> {
  items: (PacedPacket<T> | undefined)[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(p: PacedPacket<T>): void {
    this.items.push(p);
  }

  peek(): PacedPacket<T> | undefined {
    return this.items[this.head];
  }

  shift(): PacedPacket<T> | undefined {
    const p = this.items[this.head];
    if (p === undefined) return undefined;
    this.items[this.head++] = undefined;
    // Compact now and then: O(1) amortized, no unbounded dead prefix.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return p;
  }
}

/** Strict-priority set of per-kind FIFOs with O(1) size, bytes and average enqueue time. */
export class PacerQueue<T> {
  private readonly fifos: Fifo<T>[] = PACKET_KINDS.map(() => new Fifo<T>());
  private count = 0;
  private bytes = 0;
  private enqueueTimeSumUs = 0;
  private readonly kindBytes = new Float64Array(PACKET_KINDS.length);

  /** Packets queued. */
  get size(): number {
    return this.count;
  }

  /** Bytes queued. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Packets of one kind queued. */
  sizeOf(kind: PacketKind): number {
    return this.fifos[packetKindPriority(kind)]!.length;
  }

  /** Bytes of one kind queued. */
  bytesOf(kind: PacketKind): number {
    return this.kindBytes[packetKindPriority(kind)]!;
  }

  push(p: PacedPacket<T>): void {
    this.fifos[packetKindPriority(p.kind)]!.push(p);
    this.count++;
    this.bytes += p.sizeBytes;
    this.kindBytes[packetKindPriority(p.kind)]! += p.sizeBytes;
    this.enqueueTimeSumUs += p.enqueueTimeUs;
  }

  /** The next packet in priority order, optionally skipping audio. */
  peek(skipAudio = false): PacedPacket<T> | undefined {
    for (let k = skipAudio ? 1 : 0; k < this.fifos.length; k++) {
      const p = this.fifos[k]!.peek();
      if (p) return p;
    }
    return undefined;
  }

  /** The oldest packet of one kind. */
  peekKind(kind: PacketKind): PacedPacket<T> | undefined {
    return this.fifos[packetKindPriority(kind)]!.peek();
  }

  /** Removes and returns the oldest packet of `kind`. */
  shiftKind(kind: PacketKind): PacedPacket<T> | undefined {
    const p = this.fifos[packetKindPriority(kind)]!.shift();
    if (p) this.account(p);
    return p;
  }

  /** Removes and returns the next packet in priority order, optionally skipping audio. */
  shift(skipAudio = false): PacedPacket<T> | undefined {
    for (let k = skipAudio ? 1 : 0; k < this.fifos.length; k++) {
      const p = this.fifos[k]!.shift();
      if (p) {
        this.account(p);
        return p;
      }
    }
    return undefined;
  }

  /** The lowest-priority kind with packets queued, or undefined when empty. */
  lowestKind(): PacketKind | undefined {
    for (let k = this.fifos.length - 1; k >= 0; k--) if (this.fifos[k]!.length > 0) return PACKET_KINDS[k];
    return undefined;
  }

  /** Mean time the queued packets have waited at `nowUs` (0 when empty). */
  averageQueueTimeUs(nowUs: number): number {
    return this.count === 0 ? 0 : Math.max(0, nowUs - this.enqueueTimeSumUs / this.count);
  }

  /** Enqueue time of the oldest queued packet, or NaN when empty. */
  oldestEnqueueTimeUs(): number {
    let oldest = NaN;
    for (const f of this.fifos) {
      const p = f.peek();
      if (p && !(p.enqueueTimeUs >= oldest)) oldest = p.enqueueTimeUs;
    }
    return oldest;
  }

  private account(p: PacedPacket<T>): void {
    this.count--;
    this.bytes -= p.sizeBytes;
    this.kindBytes[packetKindPriority(p.kind)]! -= p.sizeBytes;
    this.enqueueTimeSumUs -= p.enqueueTimeUs;
    if (this.count === 0) {
      // Re-zero the float sums so rounding never accumulates.
      this.bytes = 0;
      this.enqueueTimeSumUs = 0;
      this.kindBytes.fill(0);
    }
  }
}
