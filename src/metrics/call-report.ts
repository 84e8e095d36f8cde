/** What `rtcpipe call` measures, written as report.json (all times in ms unless named). */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export interface PacketCounts {
  /** RTP packets the sender put on the wire. */
  sent: number;
  /** Packets the network dropped (emulator count, or RTCP cumulative lost on real sockets). */
  lostOnWire: number;
  /** Packets still missing after every recovery mechanism (none yet: equals lostOnWire minus late arrivals that still played). */
  lostAfterRecovery: number;
  /** Same as a percentage of `sent`. */
  lostOnWirePct: number;
  lostAfterRecoveryPct: number;
}

export interface VideoReport {
  codec: string;
  width: number;
  height: number;
  framesCaptured: number;
  framesSent: number;
  framesDropped: number;
  framesDecoded: number;
  keyframes: number;
  fpsDecoded: number;
  latencyMs: LatencySummary;
  psnrDb: { mean: number; p5: number; min: number };
  freeze: { count: number; totalMs: number; longestMs: number; percentOfCall: number; intervalsMs: [number, number][] };
  packets: PacketCounts;
  /** RTX packets sent in answer to NACKs, and how many of them arrived and were used. */
  retransmitted: number;
  recoveredByRtx: number;
  /** Media packets rebuilt from ULPFEC, and FEC bytes as a % of media bytes. */
  recoveredByFec: number;
  fecOverheadPct: number;
  nacksSent: number;
  /**
   * Frames sent in the upper temporal layer (% of frames sent; 0 with one layer), and media
   * packets the receivers gave up without waiting because the next frame did not need them
   * (lost upper-layer frames, lost FEC packets; counted in `packets.lostAfterRecovery` too).
   */
  upperLayerFramesPct: number;
  unneededPacketsSkipped: number;
  /** RTX bytes as a % of all RTP bytes sent (media + RTX). */
  rtxOverheadPct: number;
  bitrateKbps: number;
  encodeMsMean: number;
  decodeMsMean: number;
}

export interface AudioReport {
  codec: string;
  framesSent: number;
  framesDecoded: number;
  framesConcealed: number;
  concealedPct: number;
  latencyMs: LatencySummary;
  packets: PacketCounts;
  /** Lost frames rebuilt from the next packet's Opus in-band FEC (LBRR). */
  fecRecovered: number;
  /** Redundant (RED, RFC 2198) bytes as a % of the Opus bytes. */
  redOverheadPct: number;
  bitrateKbps: number;
}

/** Per-second series, aligned on `t` (seconds since the call started). */
export interface CallTimeline {
  t: number[];
  videoKbps: number[];
  audioKbps: number[];
  wireLossPct: number[];
  residualLossPct: number[];
  videoLatencyMs: number[];
  audioLatencyMs: number[];
  jitterBufferMs: number[];
  audioBufferMs: number[];
  psnrDb: number[];
  fps: number[];
  rttMs: number[];
  /** RTX packets that arrived and were used, per second. */
  retransmittedPerS: number[];
  /** Video packets rebuilt from ULPFEC (RFC 5109), per second. */
  fecRecoveredPerS: number[];
  /** Audio frames decoded from Opus in-band FEC (LBRR) in place of a lost packet, per second. */
  audioFecFramesPerS: number[];
  /** Audio slots concealed (loss or underrun), % per second. */
  concealedPct: number[];
  /** Video frozen time within each second (ms, mean of both directions). */
  freezeMs: number[];
  /** Bottleneck capacity (mean over the second and both directions; NaN when unlimited). */
  capacityKbps: number[];
  /** Senders' bandwidth estimate (target rate) at the end of the second, mean of both. */
  estimateKbps: number[];
  /** Everything put on the wire (media, FEC, RTX, padding, RTCP), mean of both directions. */
  sentKbps: number[];
  /** Mean wait in the bottleneck queue of the packets that entered it in this second. */
  queueDelayMs: number[];
  /** Height of the video the senders encode (mean of both), and their frame rate. */
  videoHeight: number[];
  videoFpsTarget: number[];
}

/** Adaptive bitrate: how well the senders used the path (both directions pooled). */
export interface BandwidthReport {
  /** Mean of the senders' estimates over the call (kbps). */
  estimateKbpsMean: number;
  /** Bytes that crossed the bottleneck / capacity offered (%), over the call; NaN when unlimited. */
  utilizationPct: number;
  /** 95th percentile and maximum of the bottleneck queue wait (ms), worse direction. */
  queueDelayP95Ms: number;
  queueDelayMaxMs: number;
  /** Video resolution and frame-rate changes the ladder made, both senders. */
  formatChanges: number;
  /** Padding (probing, ramp-up) bytes as a % of media bytes. */
  paddingOverheadPct: number;
  /** TWCC feedback packets sent, both receivers. */
  feedbackPackets: number;
}

export interface CallReport {
  tool: "rtcpipe";
  version: string;
  startedAt: string;
  options: Record<string, unknown>;
  realtime: boolean;
  durationS: number;
  /** Wall-clock time the run took (s); on the virtual clock this is far below durationS. */
  wallTimeS: number;
  /** percentOfOneCore = process CPU time / call duration (both peers, both directions). */
  cpu: { percentOfOneCore: number; peakRssMb: number; userS: number; systemS: number };
  video?: VideoReport;
  audio?: AudioReport;
  rtcp: { srSent: number; rrSent: number; pliSent: number; pliReceived: number; rttMs: number; jitterMs: { video: number; audio: number } };
  srtp: { suite: string; authFailures: number; replayed: number; malformed: number };
  network: Record<string, number>;
  /** Present when adaptive bitrate ran. */
  bandwidth?: BandwidthReport;
  timeline: CallTimeline;
}
