import { checkInt, checkRange, InvalidOptionError } from "../errors.js";
import { StageCore } from "../pipeline/stage.js";
import { SeededRandom } from "../util/seeded-random.js";
import type { BandwidthTrace } from "./bandwidth-trace.js";
import { GilbertElliott } from "./gilbert-elliott.js";
import type { LossTrace } from "./loss-trace.js";
import { MinHeap } from "../util/min-heap.js";

/**
 * Options of one direction of an emulated path. Every option is validated in the
 * constructor; out-of-range values throw InvalidOptionError.
 *
 * The order a datagram goes through (DESIGN.md, net/): loss decisions at the ingress (trace,
 * then burst, then random: a packet lost here uses no capacity) → drop-tail bottleneck queue
 * served at `rateBps` or the bandwidth trace → propagation `delayMs` + jitter (+ reordering
 * delay) → delivery, plus an optional duplicate.
 */
export interface EmulatedLinkOptions {
  /** One-way propagation delay in ms. Default 0; 0 to 60 000. */
  delayMs?: number;
  /**
   * Extra random delay per packet, uniform in [0, jitterMs]. Default 0; 0 to 10 000.
   * Packets keep their order: a packet never arrives before the one sent before it (its
   * arrival is raised to that packet's), unless it was picked by `reorderPct`.
   */
  jitterMs?: number;
  /**
   * Bottleneck rate in bit/s: a packet occupies the link for size·8/rateBps seconds, one after
   * another. Default 0 = unlimited (no queue). 0 to 1e11. Not together with `bandwidthTrace`.
   */
  rateBps?: number;
  /**
   * Drop-tail queue limit in bytes, counting packets waiting and the one being sent.
   * A packet that would overflow it is dropped (`droppedQueue`); a packet is always admitted
   * into an empty queue. Default: `queueMs` worth of bytes at the rate. 1 to 1e9.
   */
  queueBytes?: number;
  /**
   * Queue limit as time at the rate: queueBytes = queueMs · rate / 8000, where the rate is
   * `rateBps`, or the highest capacity of `bandwidthTrace` (a router buffer has a fixed size,
   * so a drop in capacity makes the same bytes wait longer). Default 300; 1 to 60 000.
   * Give `queueBytes` or `queueMs`, not both.
   */
  queueMs?: number;
  /** Independent random loss in percent, per packet. Default 0; 0 to 100. */
  lossPct?: number;
  /**
   * Average loss of the Gilbert-Elliott burst model in percent. Default 0 (off); 0 to <100.
   * With `burstMeanLength` B: r = 1/B, p = r·L/(1−L) (see GilbertElliott).
   */
  burstLossPct?: number;
  /** Mean burst length in packets for `burstLossPct`. Default 3; ≥ 1. */
  burstMeanLength?: number;
  /**
   * Percentage of packets held back by `reorderDelayMs` extra, so later packets overtake them.
   * Default 0; 0 to 100.
   */
  reorderPct?: number;
  /** Extra delay of a reordered packet in ms. Default 20; 0.001 to 10 000. */
  reorderDelayMs?: number;
  /**
   * Percentage of delivered packets that arrive twice (the copy right after the original,
   * without using bottleneck capacity). Default 0; 0 to 100.
   */
  duplicatePct?: number;
  /** Replays per-packet (or per-ms) losses, or a Gilbert-Elliott header, from a file. */
  lossTrace?: LossTrace;
  /** Replays bottleneck capacity over time from a file. Not together with `rateBps`. */
  bandwidthTrace?: BandwidthTrace;
  /**
   * Time (µs, on the clock that feeds `push`) that traces count from: time 0 of the
   * bandwidth trace and of a `@unit ms` loss trace. Default: when the first packet arrives.
   */
  traceStartUs?: number;
  /** Seed of all randomness of this link. Default 1. Each mechanism draws from its own stream. */
  seed?: number;
}

/** Counters of an EmulatedLink. */
export interface EmulatedLinkStats {
  [key: string]: number;
  packetsIn: number;
  bytesIn: number;
  /** Deliveries, duplicates included. */
  packetsDelivered: number;
  bytesOut: number;
  lostRandom: number;
  lostBurst: number;
  lostTrace: number;
  droppedQueue: number;
  duplicated: number;
  /** Packets delivered after a packet that entered the link later than them. */
  reordered: number;
  /** Packets admitted into the bottleneck but not yet delivered. */
  inFlight: number;
  /** Bytes in the bottleneck queue (waiting or being sent) when the last packet entered. */
  queuedBytes: number;
  /** Waiting time of the last admitted packet before its transmission started. */
  queueDelayMs: number;
  queueDelayP50Ms: number;
  queueDelayP95Ms: number;
  queueDelayMaxMs: number;
  /** Sum of the queue waits of every admitted packet (ms), for means over any interval. */
  queueDelaySumMs: number;
  /** Packets admitted into the bottleneck queue. */
  queuedPackets: number;
}

interface InFlight {
  atUs: number;
  seq: number;
  index: number;
  data: Uint8Array;
}

/** Queue-delay histogram resolution and range: 1 ms bins up to 10 s, then one overflow bin. */
const HIST_BINS = 10_001;

/**
 * One direction of an emulated network path: loss (random, Gilbert-Elliott bursts, trace),
 * a drop-tail bottleneck (fixed rate or bandwidth trace), delay, jitter, reordering and
 * duplication. A stage core: time comes in through `push` and `deliverDue`/`tick`; it never
 * reads the clock or sets timers, and is deterministic for a seed.
 *
 * Drive it either with `deliverDue(nowUs, deliver)` at `nextEventUs()`, or as a stage:
 * `pipe(sink)` then `tick(nowUs)`, which pushes each datagram with its arrival time.
 */
export class EmulatedLink extends StageCore<Uint8Array, Uint8Array> {
  readonly name = "link";
  readonly delayUs: number;
  readonly jitterUs: number;
  readonly rateBps: number;
  /** The effective drop-tail limit in bytes (Infinity when the link has no bottleneck). */
  readonly queueLimitBytes: number;
  private readonly lossPct: number;
  private readonly reorderPct: number;
  private readonly reorderDelayUs: number;
  private readonly duplicatePct: number;
  private readonly lossTrace: LossTrace | undefined;
  private readonly bandwidthTrace: BandwidthTrace | undefined;
  private traceStartUs: number | undefined;

  private readonly lossRng: SeededRandom;
  private readonly jitterRng: SeededRandom;
  private readonly reorderRng: SeededRandom;
  private readonly duplicateRng: SeededRandom;
  private readonly burst: GilbertElliott | undefined;
  private readonly traceModel: GilbertElliott | undefined;

  // Bottleneck: finish times (monotonic) and sizes of packets not yet fully sent.
  private busyUntilUs = -Infinity;
  private qFinish: number[] = [];
  private qSize: number[] = [];
  private qHead = 0;
  private queuedBytes = 0;

  // Arrival ordering and the in-flight min-heap by (atUs, seq).
  private lastOrderedArrivalUs = -Infinity;
  private readonly heap = new MinHeap<InFlight>(earlier);
  private seq = 0;
  private maxDeliveredIndex = -1;
  private closed = false;

  private readonly hist: Uint32Array | undefined;
  private readonly counters = {
    packetsIn: 0,
    bytesIn: 0,
    packetsDelivered: 0,
    bytesOut: 0,
    lostRandom: 0,
    lostBurst: 0,
    lostTrace: 0,
    droppedQueue: 0,
    duplicated: 0,
    reordered: 0,
    queueDelayMs: 0,
    queueDelayMaxMs: 0,
    queueDelaySumMs: 0,
    queuedPackets: 0,
  };

  constructor(options: EmulatedLinkOptions = {}) {
    super();
    const o = options;
    this.delayUs = checkRange("delayMs", o.delayMs ?? 0, 0, 60_000) * 1000;
    this.jitterUs = checkRange("jitterMs", o.jitterMs ?? 0, 0, 10_000) * 1000;
    this.rateBps = checkRange("rateBps", o.rateBps ?? 0, 0, 1e11);
    this.lossPct = checkRange("lossPct", o.lossPct ?? 0, 0, 100);
    const burstLossPct = checkRange("burstLossPct", o.burstLossPct ?? 0, 0, 99.999);
    const burstMeanLength = checkRange("burstMeanLength", o.burstMeanLength ?? 3, 1, 1e6);
    this.reorderPct = checkRange("reorderPct", o.reorderPct ?? 0, 0, 100);
    this.reorderDelayUs = checkRange("reorderDelayMs", o.reorderDelayMs ?? 20, 0.001, 10_000) * 1000;
    this.duplicatePct = checkRange("duplicatePct", o.duplicatePct ?? 0, 0, 100);
    const seed = checkInt("seed", o.seed ?? 1, 0, 0xffffffff);
    if (o.traceStartUs !== undefined) this.traceStartUs = checkRange("traceStartUs", o.traceStartUs, -1e15, 1e15);
    this.lossTrace = o.lossTrace;
    this.bandwidthTrace = o.bandwidthTrace;
    if (this.bandwidthTrace && this.rateBps > 0) {
      throw new InvalidOptionError(`Cannot use rateBps=${this.rateBps} with a bandwidthTrace: give one or the other`);
    }
    if (o.queueBytes !== undefined && o.queueMs !== undefined) {
      throw new InvalidOptionError("Cannot use queueBytes and queueMs together: give one or the other");
    }
    const refRate = this.bandwidthTrace ? this.bandwidthTrace.maxRateBps : this.rateBps;
    if (o.queueBytes !== undefined) {
      this.queueLimitBytes = checkInt("queueBytes", o.queueBytes, 1, 1e9);
    } else {
      const queueMs = checkRange("queueMs", o.queueMs ?? 300, 1, 60_000);
      this.queueLimitBytes = refRate > 0 ? Math.max(1, Math.floor((queueMs * refRate) / 8000)) : Infinity;
    }
    if (!this.bandwidthTrace && this.rateBps === 0) this.queueLimitBytes = Infinity;

    const master = new SeededRandom(seed);
    this.lossRng = new SeededRandom(master.nextUint32());
    const burstRng = new SeededRandom(master.nextUint32());
    this.jitterRng = new SeededRandom(master.nextUint32());
    this.reorderRng = new SeededRandom(master.nextUint32());
    this.duplicateRng = new SeededRandom(master.nextUint32());
    const traceRng = new SeededRandom(master.nextUint32());
    this.burst = burstLossPct > 0 ? GilbertElliott.fromBurst(burstLossPct, burstMeanLength, burstRng) : undefined;
    const modelParams = this.lossTrace?.modelParams();
    this.traceModel = modelParams ? new GilbertElliott(modelParams, traceRng) : undefined;
    if (this.rateBps > 0 || this.bandwidthTrace) this.hist = new Uint32Array(HIST_BINS);
  }

  /**
   * A datagram enters the link at `nowUs`. The bytes are copied, so the caller may reuse its
   * buffer. Calls must come in non-decreasing time.
   */
  override push(datagram: Uint8Array, nowUs: number): void {
    if (this.closed) return;
    const c = this.counters;
    const index = c.packetsIn++;
    const size = datagram.byteLength;
    c.bytesIn += size;
    if (this.traceStartUs === undefined) this.traceStartUs = nowUs;

    // Ingress losses. Every enabled mechanism advances for every packet, so each one's
    // pattern does not depend on the others.
    let lostTrace = false;
    if (this.traceModel) lostTrace = this.traceModel.nextLost();
    else if (this.lossTrace) {
      const entry = this.lossTrace.unit === "ms" ? (nowUs - this.traceStartUs) / 1000 : index;
      lostTrace = this.lossTrace.isLost(entry);
    }
    const lostBurst = this.burst ? this.burst.nextLost() : false;
    const lostRandom = this.lossPct > 0 ? this.lossRng.next() * 100 < this.lossPct : false;
    if (lostTrace) return void c.lostTrace++;
    if (lostBurst) return void c.lostBurst++;
    if (lostRandom) return void c.lostRandom++;

    // Bottleneck.
    let departUs = nowUs;
    if (this.hist) {
      this.drainQueue(nowUs);
      if (this.queuedBytes > 0 && this.queuedBytes + size > this.queueLimitBytes) return void c.droppedQueue++;
      const startUs = Math.max(nowUs, this.busyUntilUs);
      let finishUs: number;
      if (this.bandwidthTrace) {
        const origin = this.traceStartUs;
        finishUs = origin + this.bandwidthTrace.finishUs(startUs - origin, size * 8);
      } else {
        finishUs = startUs + (size * 8e6) / this.rateBps;
      }
      if (finishUs === Infinity) return void c.droppedQueue++;
      this.busyUntilUs = finishUs;
      this.qFinish.push(finishUs);
      this.qSize.push(size);
      this.queuedBytes += size;
      const waitMs = (startUs - nowUs) / 1000;
      c.queueDelayMs = waitMs;
      if (waitMs > c.queueDelayMaxMs) c.queueDelayMaxMs = waitMs;
      c.queueDelaySumMs += waitMs;
      c.queuedPackets++;
      this.hist[Math.min(HIST_BINS - 1, Math.floor(waitMs))]!++;
      departUs = finishUs;
    }

    // Propagation, jitter, reordering.
    let atUs = departUs + this.delayUs;
    if (this.jitterUs > 0) atUs += this.jitterRng.next() * this.jitterUs;
    const reorder = this.reorderPct > 0 && this.reorderRng.next() * 100 < this.reorderPct;
    if (reorder) {
      atUs += this.reorderDelayUs;
    } else {
      if (atUs < this.lastOrderedArrivalUs) atUs = this.lastOrderedArrivalUs;
      this.lastOrderedArrivalUs = atUs;
    }
    atUs = Math.ceil(atUs);
    // new Uint8Array(x) copies even when x is a Buffer (whose slice() is a view).
    const copy = new Uint8Array(datagram);
    this.heap.push({ atUs, seq: this.seq++, index, data: copy });
    if (this.duplicatePct > 0 && this.duplicateRng.next() * 100 < this.duplicatePct) {
      c.duplicated++;
      this.heap.push({ atUs, seq: this.seq++, index, data: copy.slice() });
    }
  }

  /**
   * The bottleneck's capacity at `nowUs` (bit/s): the fixed rate, or the bandwidth trace's step
   * then (its time 0 is `traceStartUs`, or the first packet). Infinity without a bottleneck.
   */
  capacityBpsAt(nowUs: number): number {
    if (this.bandwidthTrace) return this.bandwidthTrace.rateAtUs(nowUs - (this.traceStartUs ?? nowUs));
    return this.rateBps > 0 ? this.rateBps : Infinity;
  }

  /** Arrival time (µs) of the next datagram due, or undefined when none is in flight. */
  nextEventUs(): number | undefined {
    return this.heap.peek()?.atUs;
  }

  /**
   * Delivers, in arrival order, every datagram due at or before `nowUs`, calling
   * `deliver(datagram, arrivalUs)`. Returns how many were delivered.
   */
  deliverDue(nowUs: number, deliver: (datagram: Uint8Array, atUs: number) => void): number {
    let n = 0;
    const c = this.counters;
    for (let head = this.heap.peek(); head !== undefined && head.atUs <= nowUs; head = this.heap.peek()) {
      const p = this.heap.pop()!;
      c.packetsDelivered++;
      c.bytesOut += p.data.byteLength;
      if (p.index < this.maxDeliveredIndex) c.reordered++;
      else this.maxDeliveredIndex = p.index;
      n++;
      deliver(p.data, p.atUs);
    }
    return n;
  }

  /** Stage form of {@link deliverDue}: pushes due datagrams downstream with their arrival time. */
  override tick(nowUs: number): void {
    this.deliverDue(nowUs, (d, atUs) => this.out.push(d, atUs));
  }

  override stats(): EmulatedLinkStats {
    return {
      ...this.counters,
      inFlight: this.heap.size,
      queuedBytes: this.queuedBytes,
      queueDelayP50Ms: this.percentileMs(0.5),
      queueDelayP95Ms: this.percentileMs(0.95),
    };
  }

  /** Drops everything in flight; later pushes are ignored. Idempotent. */
  override close(): void {
    this.closed = true;
    this.heap.clear();
  }

  private drainQueue(nowUs: number): void {
    while (this.qHead < this.qFinish.length && this.qFinish[this.qHead]! <= nowUs) {
      this.queuedBytes -= this.qSize[this.qHead]!;
      this.qHead++;
    }
    if (this.qHead > 1024 && this.qHead * 2 > this.qFinish.length) {
      this.qFinish = this.qFinish.slice(this.qHead);
      this.qSize = this.qSize.slice(this.qHead);
      this.qHead = 0;
    }
  }

  private percentileMs(q: number): number {
    const h = this.hist;
    if (!h) return 0;
    let total = 0;
    for (let i = 0; i < h.length; i++) total += h[i]!;
    if (total === 0) return 0;
    const want = Math.ceil(q * total);
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      acc += h[i]!;
      if (acc >= want) return i;
    }
    return h.length - 1;
  }

}

function earlier(x: InFlight, y: InFlight): boolean {
  return x.atUs < y.atUs || (x.atUs === y.atUs && x.seq < y.seq);
}
