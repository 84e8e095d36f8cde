/**
 * The bitrate a probe cluster proved (libwebrtc goog_cc ProbeBitrateEstimator,
 * draft-ietf-rmcat-gcc-02 section 5 "probing" practice): packets the pacer sent as one cluster
 * at a known rate are matched with their arrivals. The send rate is the bytes over the send
 * interval (the last packet's size excluded), the receive rate the bytes over the arrival
 * interval (the first packet's size excluded). The result is the smaller of the two, or 95% of
 * the receive rate when the link clearly could not carry the probe. Clusters with too few
 * packets or bytes received, or with impossible ratios, give nothing.
 */
import type { PacketResult } from "./congestion-types.js";

/** libwebrtc kMinReceivedProbesRatio / kMinReceivedBytesRatio: 80% of the requested packets and bytes must arrive. */
const MIN_RECEIVED_PROBES_RATIO = 0.8;
const MIN_RECEIVED_BYTES_RATIO = 0.8;
/** libwebrtc kMaxValidRatio: receive rate more than 2× the send rate is a measurement error. */
const MAX_VALID_RATIO = 2;
/** libwebrtc kMinRatioForUnsaturatedLink: receive < 90% of send means the probe saturated the link. */
const MIN_RATIO_FOR_UNSATURATED_LINK = 0.9;
/** libwebrtc kTargetUtilizationFraction: a saturated link's result is 95% of what got through. */
const TARGET_UTILIZATION_FRACTION = 0.95;
/** libwebrtc kMaxProbeInterval: a cluster spread over more than 1 s is not a probe. */
const MAX_PROBE_INTERVAL_US = 1_000_000;
/** libwebrtc kMaxClusterHistory: clusters not seen for 1 s are forgotten. */
const MAX_CLUSTER_HISTORY_US = 1_000_000;
/** Cluster specs kept (ours: bounds memory when clusters never get feedback). */
const MAX_SPECS = 64;

/** What the pacer promised for a cluster (from its ProbeCluster). */
export interface ProbeClusterSpec {
  minProbes: number;
  minBytes: number;
}

interface ClusterAggregate {
  firstSendUs: number;
  lastSendUs: number;
  firstReceiveUs: number;
  lastReceiveUs: number;
  sizeLastSendBytes: number;
  sizeFirstReceiveBytes: number;
  totalBytes: number;
  numProbes: number;
  lastSeenUs: number;
}

/** Turns probe-cluster feedback into a bitrate (libwebrtc ProbeBitrateEstimator). */
export class ProbeBitrateEstimator {
  private readonly clusters = new Map<number, ClusterAggregate>();
  private readonly specs = new Map<number, ProbeClusterSpec>();
  private lastEstimateBps: number | undefined;
  private nEstimates = 0;
  private nInvalid = 0;

  /** Registers a cluster the controller asked for, so its thresholds are known. */
  addCluster(id: number, spec: ProbeClusterSpec): void {
    this.specs.set(id, spec);
    if (this.specs.size > MAX_SPECS) {
      const oldest = this.specs.keys().next().value;
      if (oldest !== undefined) {
        this.specs.delete(oldest);
        this.clusters.delete(oldest);
      }
    }
  }

  /**
   * Adds one received probe packet; `nowUs` is the local feedback time. Returns the cluster's
   * rate (bps) when it now holds enough packets and the rates are plausible.
   */
  onPacketResult(result: PacketResult, nowUs: number): number | undefined {
    const id = result.sent.probeClusterId;
    const receiveUs = result.receiveTimeUs;
    if (id < 0 || receiveUs === undefined) return undefined;
    const spec = this.specs.get(id);
    if (spec === undefined) return undefined;
    this.eraseOld(nowUs);
    const sendUs = result.sent.sendTimeUs;
    const size = result.sent.sizeBytes;
    let c = this.clusters.get(id);
    if (c === undefined) {
      c = { firstSendUs: sendUs, lastSendUs: sendUs, firstReceiveUs: receiveUs, lastReceiveUs: receiveUs, sizeLastSendBytes: size, sizeFirstReceiveBytes: size, totalBytes: 0, numProbes: 0, lastSeenUs: nowUs };
      this.clusters.set(id, c);
    }
    if (sendUs < c.firstSendUs) c.firstSendUs = sendUs;
    if (sendUs >= c.lastSendUs) {
      c.lastSendUs = sendUs;
      c.sizeLastSendBytes = size;
    }
    if (receiveUs < c.firstReceiveUs) {
      c.firstReceiveUs = receiveUs;
      c.sizeFirstReceiveBytes = size;
    }
    if (receiveUs > c.lastReceiveUs) c.lastReceiveUs = receiveUs;
    c.totalBytes += size;
    c.numProbes++;
    c.lastSeenUs = nowUs;

    if (c.numProbes < MIN_RECEIVED_PROBES_RATIO * spec.minProbes || c.totalBytes < MIN_RECEIVED_BYTES_RATIO * spec.minBytes) return undefined;
    const sendIntervalUs = c.lastSendUs - c.firstSendUs;
    const receiveIntervalUs = c.lastReceiveUs - c.firstReceiveUs;
    if (sendIntervalUs <= 0 || sendIntervalUs > MAX_PROBE_INTERVAL_US || receiveIntervalUs <= 0 || receiveIntervalUs > MAX_PROBE_INTERVAL_US) {
      this.nInvalid++;
      return undefined;
    }
    const sendRateBps = ((c.totalBytes - c.sizeLastSendBytes) * 8 * 1e6) / sendIntervalUs;
    const receiveRateBps = ((c.totalBytes - c.sizeFirstReceiveBytes) * 8 * 1e6) / receiveIntervalUs;
    if (receiveRateBps / sendRateBps > MAX_VALID_RATIO) {
      this.nInvalid++;
      return undefined;
    }
    let rateBps = Math.min(sendRateBps, receiveRateBps);
    if (receiveRateBps < MIN_RATIO_FOR_UNSATURATED_LINK * sendRateBps) rateBps = TARGET_UTILIZATION_FRACTION * receiveRateBps;
    this.lastEstimateBps = rateBps;
    this.nEstimates++;
    return rateBps;
  }

  /** The latest cluster result since the last call, then forgets it (libwebrtc FetchAndResetLastEstimatedBitrate). */
  fetchAndResetLastEstimateBps(): number | undefined {
    const r = this.lastEstimateBps;
    this.lastEstimateBps = undefined;
    return r;
  }

  /** Counters: estimates produced, clusters rejected as implausible. */
  stats(): { estimates: number; invalid: number; clusters: number } {
    return { estimates: this.nEstimates, invalid: this.nInvalid, clusters: this.clusters.size };
  }

  private eraseOld(nowUs: number): void {
    for (const [id, c] of this.clusters) {
      if (nowUs - c.lastSeenUs > MAX_CLUSTER_HISTORY_US) {
        this.clusters.delete(id);
        this.specs.delete(id);
      }
    }
  }
}
