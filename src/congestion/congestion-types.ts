/**
 * The values that pass between the congestion-control units (DESIGN.md "congestion/"): the
 * sender-side feedback adapter turns TWCC feedback into `TransportFeedbackUpdate`s, the
 * network controller (GCC-style estimators) turns those into `NetworkTargetUpdate`s, and the
 * pacer and bitrate allocator act on them. Pure data: every unit takes time as an argument.
 */

/** What the sender recorded about one packet when it left the pacer. */
export interface SentPacketInfo {
  /** Transport-wide sequence number, unwrapped (monotonic across 16-bit wraps). */
  sequenceNumber: number;
  /** When the packet left the pacer, on the sender's clock (µs). */
  sendTimeUs: number;
  /** Bytes on the wire (the whole SRTP datagram). */
  sizeBytes: number;
  /** The probe cluster the pacer sent it for, or -1 when not a probe. */
  probeClusterId: number;
  /** Audio packets are counted in the acknowledged rate but do not drive the delay estimate. */
  isAudio: boolean;
}

/** One sent packet as feedback reports it: its arrival time, or lost. */
export interface PacketResult {
  sent: SentPacketInfo;
  /** Arrival on the receiver's clock (µs; only differences mean anything), undefined if lost. */
  receiveTimeUs: number | undefined;
}

/** What one TWCC feedback packet told the sender. */
export interface TransportFeedbackUpdate {
  /** When the feedback arrived, on the sender's clock (µs). */
  feedbackTimeUs: number;
  /** Packets covered, in sequence-number order (received and lost). */
  packets: PacketResult[];
  /** Bytes sent but not yet covered by any feedback, after this one. */
  dataInFlightBytes: number;
}

/** A request to the pacer: send `minProbes` packets / `minBytes` at `targetRateBps`. */
export interface ProbeCluster {
  id: number;
  targetRateBps: number;
  minProbes: number;
  minBytes: number;
}

/** What the network controller decided: rates for the encoders and the pacer. */
export interface NetworkTargetUpdate {
  /** When the decision was made (µs). */
  atUs: number;
  /** Total bitrate the sender may use for media + FEC + RTX (bps). */
  targetRateBps: number;
  /** Rate the pacer drains its queue at (bps; a multiple of the target). */
  pacingRateBps: number;
  /** Padding the pacer adds when the queue is empty (bps; 0 unless probing or ramping). */
  paddingRateBps: number;
  /** Probe clusters to send now (may be empty). */
  probeClusters: ProbeCluster[];
  /** Loss fraction 0..1 the loss-based estimator sees. */
  lossFraction: number;
  /** Round-trip time the controller uses (ms). */
  rttMs: number;
  /** Which estimator limited the target ("delay", "loss", "probe", "max", "min", "start"). */
  limitedBy: string;
}
