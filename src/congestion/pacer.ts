/**
 * Sender-side pacer: smooths the bursts the encoders produce (a keyframe is dozens of packets
 * at once) into a steady stream at the pacing rate, so the bottleneck queue, and with it the
 * delay the GCC estimator reads, does not spike. The model is libwebrtc's PacingController
 * (modules/pacing/pacing_controller.cc); constants cited where used:
 * - a leaky bucket ("media debt"): every sent byte adds debt, which drains at the pacing rate;
 *   a packet may leave while debt + size stays within the burst allowance (`burstUs` of data
 *   at the pacing rate, like libwebrtc's send-burst interval). So over any window the bytes
 *   sent stay within rate x window + max(burst, one packet) (+ bypassing audio, see below);
 * - strict priority: audio, retransmissions, video, FEC, padding (PacerQueue; libwebrtc's
 *   PrioritizedPacketQueue/RoundRobinPacketQueue puts audio and retransmissions first too);
 *   audio may bypass the budget (libwebrtc does not pace audio by default); its bytes count
 *   in the debt (video yields to it) unless `countBypassingAudio` is false, as libwebrtc's
 *   default (account_for_audio off: the pacing rate is then for everything but audio);
 * - queue time limit: when the queue would take longer than `maxQueueTimeUs` (libwebrtc's
 *   kMaxExpectedQueueLength = 2 s) the drain rate rises to queued bytes / (limit − average
 *   queue time), at least 1 ms, as libwebrtc's drain_large_queues does; a hard cap on packets
 *   and bytes then drops the lowest-priority packets (counted), so the queue is bounded;
 * - debt is capped at 500 ms of data (kMaxDebtInTime), so one huge burst cannot stall media;
 * - probe clusters (libwebrtc's BitrateProber): packets leave at the cluster's rate whatever
 *   the budget, each tagged with the cluster id, until `minProbes` packets and `minBytes` bytes
 *   have gone; with nothing queued, the owner is asked for padding of about 2 ms at the probe
 *   rate (min_probe_delta). A cluster not done within `probeClusterTimeoutUs` (libwebrtc's
 *   kProbeClusterTimeout, 5 s) is abandoned and counted;
 * - congested (the owner says data in flight exceeds its congestion window): only bypassing
 *   audio leaves, plus one packet (queued, else padding) per 500 ms so feedback keeps coming
 *   (libwebrtc's kCongestedPacketInterval); no probes;
 * - padding at the padding rate when the queue is empty, in ~5 ms chunks
 *   (kTargetPaddingDuration), only once media has been sent (libwebrtc pads only after the
 *   first media packet: the receiver must know the stream); probes likewise start with media.
 * Pure: time is an argument; the owner calls `tick(nowUs)` at `nextDueUs(nowUs)`.
 */
import { checkInt, checkRange } from "../errors.js";
import type { Sink } from "../pipeline/stage.js";
import type { NetworkTargetUpdate, ProbeCluster } from "./congestion-types.js";
import { PACKET_KINDS, PacerQueue, packetKindPriority, type PacedPacket, type PacketKind } from "./pacer-queue.js";

/** A padding packet the owner made on request (RTX of an old packet, or padding-only RTP). */
export interface PaddingPacket<T> {
  item: T;
  sizeBytes: number;
}

/** Options of {@link Pacer}. */
export interface PacerOptions<T> {
  /** Initial pacing rate, bits/s (default 750 000: a 300 kbps start x libwebrtc's 2.5 pacing factor). */
  pacingRateBps?: number;
  /** Initial padding rate, bits/s (default 0). */
  paddingRateBps?: number;
  /** Burst allowance as time at the pacing rate, µs (default 5 000; 40 000 is libwebrtc's newer burst interval). */
  burstUs?: number;
  /** Queue time beyond which the drain rate rises (default 2 000 000, libwebrtc's kMaxExpectedQueueLength). */
  maxQueueTimeUs?: number;
  /** Raise the drain rate for long queues (default true). */
  drainLargeQueues?: boolean;
  /** Hard cap on queued packets (default 10 000); beyond it the lowest priority is dropped. */
  maxQueuedPackets?: number;
  /** Hard cap on queued bytes (default 8 000 000). */
  maxQueuedBytes?: number;
  /** Audio leaves at once, outside the budget (default true). */
  audioBypassesBudget?: boolean;
  /** Audio that bypasses the budget still adds to the debt, so video yields to it (default true). */
  countBypassingAudio?: boolean;
  /** Abandon a probe cluster not done this long after it was created, µs (default 5 000 000). */
  probeClusterTimeoutUs?: number;
  /** Largest padding packet to ask for, bytes (default 1 200). */
  maxPaddingSizeBytes?: number;
  /**
   * Asked for padding of about `sizeBytes` when the queue is empty and padding or a probe is
   * due. Return [] when there is nothing to pad with. Without it, no padding is sent and probes
   * use only queued media.
   */
  generatePadding?: (sizeBytes: number, nowUs: number) => readonly PaddingPacket<T>[];
  /** Told about every packet the hard cap drops. */
  onDropped?: (item: T, kind: PacketKind) => void;
}

/** Queue figures for the allocator and the encoders (libwebrtc feeds these to its pushback). */
export interface PacerQueueStats {
  queuedPackets: number;
  queuedBytes: number;
  /** Time to drain the queue at the pacing rate (libwebrtc's ExpectedQueueTime), µs. */
  expectedQueueTimeUs: number;
  /** How long the oldest queued packet has waited, µs (0 when empty). */
  oldestPacketAgeUs: number;
  /** Mean wait of the queued packets, µs. */
  averageQueueTimeUs: number;
}

interface ClusterState {
  cluster: ProbeCluster;
  createdUs: number;
  startUs: number;
  sentBytes: number;
  sentProbes: number;
}

const MAX_DEBT_US = 500_000; // libwebrtc kMaxDebtInTime
const CONGESTED_INTERVAL_US = 500_000; // libwebrtc kCongestedPacketInterval
const KEEPALIVE_PADDING_BYTES = 50;
const MIN_TIME_LEFT_US = 1_000; // libwebrtc: avg_time_left at least 1 ms
const PADDING_DURATION_US = 5_000; // libwebrtc kTargetPaddingDuration
const MIN_PROBE_DELTA_US = 2_000; // libwebrtc BitrateProber min_probe_delta
const EPS_BYTES = 1e-3;
const MAX_SENDS_PER_TICK = 100_000; // a bound on one tick's loop whatever the callbacks do

const dropAll: Sink<unknown> = { push() {} };

/**
 * Paces packets of type T onto a sink. `enqueue` queues, `tick` sends what is due (as
 * {@link PacedPacket}s with their probe cluster id, in priority order), `nextDueUs` says when
 * to tick next. See the file comment for the rules.
 */
export class Pacer<T> {
  readonly name = "pacer";
  private readonly queue = new PacerQueue<T>();
  private out: Sink<PacedPacket<T>> = dropAll as Sink<PacedPacket<T>>;
  private pacingRate: number;
  private paddingRate: number;
  private readonly burstUs: number;
  private readonly maxQueueTimeUs: number;
  private readonly drainLargeQueues: boolean;
  private readonly maxPackets: number;
  private readonly maxBytes: number;
  private readonly audioBypass: boolean;
  private readonly countBypassingAudio: boolean;
  private readonly probeTimeoutUs: number;
  private readonly maxPaddingBytes: number;
  private readonly generatePadding: PacerOptions<T>["generatePadding"];
  private readonly onDropped: PacerOptions<T>["onDropped"];

  private mediaDebtBytes = 0;
  private paddingDebtBytes = 0;
  private lastUpdateUs = NaN;
  private seenMedia = false;
  private congested = false;
  private lastSendUs = -Infinity;
  private readonly clusters: ClusterState[] = [];

  private readonly sentPackets = new Float64Array(PACKET_KINDS.length);
  private readonly sentBytesByKind = new Float64Array(PACKET_KINDS.length);
  private readonly droppedByKind = new Float64Array(PACKET_KINDS.length);
  private counters = {
    enqueued: 0,
    probeClustersCreated: 0,
    probeClustersDone: 0,
    probeClustersAbandoned: 0,
    probePackets: 0,
    probeBytes: 0,
    paddingRequests: 0,
    paddingUnavailable: 0,
    drainBoostTicks: 0,
    congestedKeepalives: 0,
    maxQueueTimeSeenUs: 0,
    timeWentBack: 0,
  };

  constructor(options: PacerOptions<T> = {}) {
    this.pacingRate = checkRange("pacingRateBps", options.pacingRateBps ?? 750_000, 1_000, 1e10);
    this.paddingRate = checkRange("paddingRateBps", options.paddingRateBps ?? 0, 0, 1e10);
    this.burstUs = checkRange("burstUs", options.burstUs ?? 5_000, 0, 1_000_000);
    this.maxQueueTimeUs = checkRange("maxQueueTimeUs", options.maxQueueTimeUs ?? 2_000_000, 10_000, 60_000_000);
    this.drainLargeQueues = options.drainLargeQueues ?? true;
    this.maxPackets = checkInt("maxQueuedPackets", options.maxQueuedPackets ?? 10_000, 1, 10_000_000);
    this.maxBytes = checkInt("maxQueuedBytes", options.maxQueuedBytes ?? 8_000_000, 1_500, 1e10);
    this.audioBypass = options.audioBypassesBudget ?? true;
    this.countBypassingAudio = options.countBypassingAudio ?? true;
    this.probeTimeoutUs = checkRange("probeClusterTimeoutUs", options.probeClusterTimeoutUs ?? 5_000_000, 1_000, 60_000_000);
    this.maxPaddingBytes = checkInt("maxPaddingSizeBytes", options.maxPaddingSizeBytes ?? 1_200, 1, 65_535);
    this.generatePadding = options.generatePadding;
    this.onDropped = options.onDropped;
  }

  /** Sets where paced packets go; `push(packet, sendTimeUs)`. */
  pipe(sink: Sink<PacedPacket<T>>): void {
    this.out = sink;
  }

  /** Current pacing rate, bits/s. */
  get pacingRateBps(): number {
    return this.pacingRate;
  }

  /** Current padding rate, bits/s. */
  get paddingRateBps(): number {
    return this.paddingRate;
  }

  /**
   * Sets the pacing and padding rates. With `nowUs`, the budget is brought up to date first
   * (so the old rate applies until now); without it, the new rate applies from the last tick.
   */
  setRates(pacingRateBps: number, paddingRateBps: number, nowUs?: number): void {
    checkRange("pacingRateBps", pacingRateBps, 1_000, 1e10);
    checkRange("paddingRateBps", paddingRateBps, 0, 1e10);
    if (nowUs !== undefined) this.update(nowUs);
    this.pacingRate = pacingRateBps;
    this.paddingRate = paddingRateBps;
  }

  /** Applies a network controller decision: its pacing and padding rates and its probe clusters. */
  applyNetworkUpdate(update: NetworkTargetUpdate, nowUs: number): void {
    this.setRates(update.pacingRateBps, update.paddingRateBps, nowUs);
    for (const c of update.probeClusters) this.createProbeCluster(c, nowUs);
  }

  /**
   * Marks the path congested (data in flight above the congestion window) or not. While
   * congested only bypassing audio and one packet per 500 ms leave.
   */
  setCongested(congested: boolean, nowUs: number): void {
    this.update(nowUs);
    this.congested = congested;
  }

  /** Whether the pacer is in congested mode. */
  get isCongested(): boolean {
    return this.congested;
  }

  /** Queues a probe cluster; clusters run one after another in creation order. */
  createProbeCluster(cluster: ProbeCluster, nowUs: number): void {
    checkInt("probe cluster id", cluster.id, 0, Number.MAX_SAFE_INTEGER);
    checkRange("probe targetRateBps", cluster.targetRateBps, 1_000, 1e10);
    checkInt("probe minProbes", cluster.minProbes, 1, 10_000);
    checkInt("probe minBytes", cluster.minBytes, 0, 100_000_000);
    this.clusters.push({ cluster: { ...cluster }, createdUs: nowUs, startUs: NaN, sentBytes: 0, sentProbes: 0 });
    this.counters.probeClustersCreated++;
  }

  /**
   * Queues one packet. Returns false when the hard cap dropped it (everything queued has
   * higher priority); otherwise true, possibly after dropping older lower-priority packets.
   */
  enqueue(item: T, kind: PacketKind, sizeBytes: number, nowUs: number): boolean {
    checkInt("sizeBytes", sizeBytes, 1, 65_535);
    this.update(nowUs);
    this.counters.enqueued++;
    const prio = packetKindPriority(kind);
    while (this.queue.size + 1 > this.maxPackets || this.queue.sizeBytes + sizeBytes > this.maxBytes) {
      const lowest = this.queue.lowestKind();
      if (lowest === undefined || packetKindPriority(lowest) < prio) {
        this.drop(item, kind);
        return false;
      }
      const victim = this.queue.shiftKind(lowest)!;
      this.drop(victim.item, victim.kind);
    }
    this.queue.push({ item, kind, sizeBytes, enqueueTimeUs: nowUs, probeClusterId: -1 });
    return true;
  }

  /** Sends everything due at `nowUs` to the sink, in priority order. */
  tick(nowUs: number): void {
    this.update(nowUs);
    this.expireClusters(nowUs);
    const q = this.queue;
    if (q.size > 0) this.counters.maxQueueTimeSeenUs = Math.max(this.counters.maxQueueTimeSeenUs, nowUs - q.oldestEnqueueTimeUs());
    if (this.drainRateBps(nowUs) > this.pacingRate) this.counters.drainBoostTicks++;
    for (let n = 0; n < MAX_SENDS_PER_TICK; n++) {
      // 1. Audio outside the budget.
      if (this.audioBypass && q.sizeOf("audio") > 0) {
        this.send(q.shiftKind("audio")!, -1, nowUs);
        continue;
      }
      if (this.congested) {
        // One keep-alive packet per interval, whatever the budget.
        if (nowUs - this.lastSendUs < CONGESTED_INTERVAL_US) break;
        const p = q.shift(this.audioBypass);
        if (p) {
          this.send(p, -1, nowUs);
        } else {
          const pads = this.seenMedia ? this.requestPadding(KEEPALIVE_PADDING_BYTES, nowUs) : [];
          if (pads.length === 0) {
            this.counters.paddingUnavailable++;
            this.lastSendUs = nowUs; // try again one interval later
            break;
          }
          for (const pad of pads) this.sendPadding(pad, -1, nowUs);
        }
        this.counters.congestedKeepalives++;
        break;
      }
      // 2. A probe cluster, at its own rate.
      const c = this.clusters[0];
      if (c && (this.seenMedia || q.peek(this.audioBypass) !== undefined) && this.probeDueUs(c) <= nowUs) {
        if (!this.sendProbe(c, nowUs)) this.abandonCluster();
        continue;
      }
      // 3. Media within the budget.
      const next = q.peek(this.audioBypass);
      if (next) {
        if (!this.fitsBudget(next.sizeBytes, nowUs)) break;
        this.send(q.shift(this.audioBypass)!, -1, nowUs);
        continue;
      }
      // 4. Padding when nothing is queued.
      if (c === undefined && this.paddingDue(nowUs)) {
        const size = this.paddingSize(this.paddingRate, PADDING_DURATION_US);
        if (!this.fitsBudget(size, nowUs)) break;
        const pads = this.requestPadding(size, nowUs);
        if (pads.length === 0) {
          // A missed opportunity: count the chunk as sent so the next ask waits a chunk's time.
          this.paddingDebtBytes += size;
          this.counters.paddingUnavailable++;
          break;
        }
        for (const p of pads) this.sendPadding(p, -1, nowUs);
        continue;
      }
      break;
    }
  }

  /**
   * When the next packet is due (µs, ≥ nowUs), or Infinity when nothing will be sent until
   * something is enqueued or a probe is created. Does not change state.
   */
  nextDueUs(nowUs: number): number {
    const q = this.queue;
    if (this.audioBypass && q.sizeOf("audio") > 0) return nowUs;
    const at = Number.isNaN(this.lastUpdateUs) ? nowUs : Math.max(nowUs, this.lastUpdateUs);
    if (this.congested) {
      const canSend = q.peek(this.audioBypass) !== undefined || (this.seenMedia && this.generatePadding !== undefined);
      return canSend ? Math.max(at, this.lastSendUs + CONGESTED_INTERVAL_US) : Infinity;
    }
    let due = Infinity;
    const c = this.clusters[0];
    const next = q.peek(this.audioBypass);
    if (c) {
      // Due even without a padding source: the tick then abandons a cluster it cannot feed.
      if (next !== undefined || this.seenMedia) due = Math.max(at, this.probeDueUs(c));
      due = Math.min(due, c.createdUs + this.probeTimeoutUs + 1);
    }
    const rate = this.drainRateBps(at);
    const elapsed = Number.isNaN(this.lastUpdateUs) ? 0 : at - this.lastUpdateUs;
    const debt = Math.max(0, this.mediaDebtBytes - (rate * elapsed) / 8e6);
    const waitFor = (sizeBytes: number): number => {
      const excess = debt + sizeBytes - Math.max((rate * this.burstUs) / 8e6, sizeBytes);
      return excess <= EPS_BYTES ? at : at + Math.ceil((excess * 8e6) / rate);
    };
    if (next) return Math.max(nowUs, Math.min(due, waitFor(next.sizeBytes)));
    if (c === undefined && this.paddingRate > 0 && this.seenMedia && this.generatePadding) {
      const pDebt = Math.max(0, this.paddingDebtBytes - (this.paddingRate * elapsed) / 8e6);
      const padAt = pDebt <= EPS_BYTES ? at : at + Math.ceil((pDebt * 8e6) / this.paddingRate);
      due = Math.min(due, Math.max(padAt, waitFor(this.paddingSize(this.paddingRate, PADDING_DURATION_US))));
    }
    return Math.max(nowUs, due);
  }

  /** Queue size and queue time, for the allocator and encoder pushback. */
  queueStats(nowUs: number): PacerQueueStats {
    const q = this.queue;
    const oldest = q.oldestEnqueueTimeUs();
    return {
      queuedPackets: q.size,
      queuedBytes: q.sizeBytes,
      expectedQueueTimeUs: (q.sizeBytes * 8e6) / this.pacingRate,
      oldestPacketAgeUs: Number.isNaN(oldest) ? 0 : Math.max(0, nowUs - oldest),
      averageQueueTimeUs: q.averageQueueTimeUs(nowUs),
    };
  }

  /** Packets of one kind still queued. */
  queuedOf(kind: PacketKind): number {
    return this.queue.sizeOf(kind);
  }

  /** Probe clusters created and not yet done or abandoned. */
  get pendingProbeClusters(): number {
    return this.clusters.length;
  }

  /**
   * The rate the queue drains at now: the pacing rate, raised so the queue empties within the
   * queue time limit (libwebrtc drain_large_queues: queue size / max(1 ms, limit − average
   * queue time)).
   */
  drainRateBps(nowUs: number): number {
    const q = this.queue;
    const bytes = q.sizeBytes - (this.audioBypass ? q.bytesOf("audio") : 0);
    if (!this.drainLargeQueues || bytes <= 0) return this.pacingRate;
    const leftUs = Math.max(MIN_TIME_LEFT_US, this.maxQueueTimeUs - q.averageQueueTimeUs(nowUs));
    return Math.max(this.pacingRate, (bytes * 8e6) / leftUs);
  }

  stats(): Record<string, number> {
    const s: Record<string, number> = { ...this.counters, congested: this.congested ? 1 : 0, queuedPackets: this.queue.size, queuedBytes: this.queue.sizeBytes, pacingRateBps: this.pacingRate, paddingRateBps: this.paddingRate };
    PACKET_KINDS.forEach((k, i) => {
      s[`sent.${k}`] = this.sentPackets[i]!;
      s[`sentBytes.${k}`] = this.sentBytesByKind[i]!;
      s[`dropped.${k}`] = this.droppedByKind[i]!;
    });
    return s;
  }

  /** Drains the leaky buckets up to `nowUs`. */
  private update(nowUs: number): void {
    if (Number.isNaN(this.lastUpdateUs)) {
      this.lastUpdateUs = nowUs;
      return;
    }
    const elapsed = nowUs - this.lastUpdateUs;
    if (elapsed < 0) {
      this.counters.timeWentBack++;
      return;
    }
    if (elapsed === 0) return;
    const rate = this.drainRateBps(this.lastUpdateUs);
    this.mediaDebtBytes = Math.max(0, this.mediaDebtBytes - (rate * elapsed) / 8e6);
    this.paddingDebtBytes = Math.max(0, this.paddingDebtBytes - (this.paddingRate * elapsed) / 8e6);
    this.lastUpdateUs = nowUs;
  }

  private fitsBudget(sizeBytes: number, nowUs: number): boolean {
    const burstBytes = (this.drainRateBps(nowUs) * this.burstUs) / 8e6;
    return this.mediaDebtBytes + sizeBytes <= Math.max(burstBytes, sizeBytes) + EPS_BYTES;
  }

  private paddingDue(nowUs: number): boolean {
    void nowUs;
    return this.paddingRate > 0 && this.seenMedia && this.generatePadding !== undefined && this.paddingDebtBytes <= EPS_BYTES;
  }

  private paddingSize(rateBps: number, durationUs: number): number {
    return Math.max(1, Math.min(this.maxPaddingBytes, Math.round((rateBps * durationUs) / 8e6)));
  }

  private requestPadding(sizeBytes: number, nowUs: number): readonly PaddingPacket<T>[] {
    if (!this.generatePadding) return [];
    this.counters.paddingRequests++;
    return this.generatePadding(sizeBytes, nowUs);
  }

  private probeDueUs(c: ClusterState): number {
    if (Number.isNaN(c.startUs)) return -Infinity;
    return c.startUs + (c.sentBytes * 8e6) / c.cluster.targetRateBps;
  }

  /** Sends one probe packet (queued media first, else padding); false when there was nothing. */
  private sendProbe(c: ClusterState, nowUs: number): boolean {
    const id = c.cluster.id;
    let bytes = 0;
    let packets = 0;
    const media = this.queue.shift(this.audioBypass);
    if (media) {
      this.send(media, id, nowUs);
      bytes = media.sizeBytes;
      packets = 1;
    } else {
      const pads = this.requestPadding(this.paddingSize(c.cluster.targetRateBps, MIN_PROBE_DELTA_US), nowUs);
      for (const p of pads) {
        this.sendPadding(p, id, nowUs);
        bytes += p.sizeBytes;
        packets++;
      }
      if (packets === 0) return false;
    }
    if (Number.isNaN(c.startUs)) c.startUs = nowUs;
    c.sentBytes += bytes;
    c.sentProbes += packets;
    this.counters.probePackets += packets;
    this.counters.probeBytes += bytes;
    if (c.sentProbes >= c.cluster.minProbes && c.sentBytes >= c.cluster.minBytes) {
      this.clusters.shift();
      this.counters.probeClustersDone++;
    }
    return true;
  }

  private abandonCluster(): void {
    this.clusters.shift();
    this.counters.probeClustersAbandoned++;
  }

  private expireClusters(nowUs: number): void {
    while (this.clusters.length > 0 && nowUs - this.clusters[0]!.createdUs > this.probeTimeoutUs) this.abandonCluster();
  }

  private sendPadding(p: PaddingPacket<T>, clusterId: number, nowUs: number): void {
    checkInt("padding sizeBytes", p.sizeBytes, 1, 65_535);
    this.paddingDebtBytes += p.sizeBytes;
    this.send({ item: p.item, kind: "padding", sizeBytes: p.sizeBytes, enqueueTimeUs: nowUs, probeClusterId: -1 }, clusterId, nowUs);
  }

  private send(p: PacedPacket<T>, clusterId: number, nowUs: number): void {
    p.probeClusterId = clusterId;
    if (this.countBypassingAudio || !(this.audioBypass && p.kind === "audio")) {
      this.mediaDebtBytes = Math.min(this.mediaDebtBytes + p.sizeBytes, Math.max(p.sizeBytes, (this.pacingRate * MAX_DEBT_US) / 8e6));
    }
    if (p.kind !== "padding") this.seenMedia = true;
    if (!(this.audioBypass && p.kind === "audio")) this.lastSendUs = nowUs;
    const k = packetKindPriority(p.kind);
    this.sentPackets[k]!++;
    this.sentBytesByKind[k]! += p.sizeBytes;
    this.out.push(p, nowUs);
  }

  private drop(item: T, kind: PacketKind): void {
    this.droppedByKind[packetKindPriority(kind)]!++;
    this.onDropped?.(item, kind);
  }
}
