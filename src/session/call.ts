import { randomBytes } from "node:crypto";
import type { EncodedFrame } from "../codec/encoded-frame.js";
import type { AudioFrame } from "../media/audio-frame.js";
import { SpeechLikeSource } from "../media/speech-like-source.js";
import { TestPatternSource } from "../media/test-pattern-source.js";
import type { VideoFrame } from "../media/video-frame.js";
import { WavReader } from "../media/wav-reader.js";
import { Y4mReader } from "../media/y4m-reader.js";
import type { AudioReport, BandwidthReport, CallReport, CallTimeline, LatencySummary, PacketCounts, VideoReport } from "../metrics/call-report.js";
import { Percentiles } from "../metrics/percentiles.js";
import { BandwidthTrace } from "../net/bandwidth-trace.js";
import type { EmulatedLinkOptions } from "../net/emulated-link.js";
import { EmulatedNetwork } from "../net/emulated-network.js";
import { LossTrace } from "../net/loss-trace.js";
import { RealClock, VirtualClock, type Clock } from "../pipeline/clock.js";
import { SRTP_SUITES } from "../srtp/srtp-suite.js";
import { SeededRandom } from "../util/seeded-random.js";
import { CaptureRegistry } from "./capture-registry.js";
import { resolveCallOptions, type CallOptions, type ResolvedCallOptions } from "./call-options.js";
import { DirectionMetrics } from "./direction-metrics.js";
import { Peer, type SrtpKeys } from "./peer.js";
import { UdpLoopbackPair } from "./udp-loopback-pair.js";
import { warmUpCodecs } from "./warm-up-codecs.js";
import { congestionFor, receiveConfigFor, sendConfigFor } from "./call-media.js";
import type { SendConfig } from "./stream-config.js";

const VERSION = "0.1.0";

interface FrameSource<T> {
  next(): T | undefined;
}

/** One side's media: its sources, and the registries its receiver-side metrics read. */
interface Side {
  peer: Peer;
  video?: FrameSource<VideoFrame>;
  audio?: FrameSource<AudioFrame>;
  /** Frames this side sent, by RTP timestamp (read by the other side's metrics). */
  sentVideo: CaptureRegistry<VideoFrame>;
  sentAudio: CaptureRegistry<never>;
  /** What this side received, measured. */
  metrics: DirectionMetrics;
  framesCaptured: number;
  audioFramesCaptured: number;
}

/** One direction's link; `bottleneck` false leaves out the rate and rate trace (rateDirection "a-to-b", B to A). */
function linkOptions(o: ResolvedCallOptions, seed: number, bottleneck: boolean): EmulatedLinkOptions {
  const link: EmulatedLinkOptions = {
    delayMs: o.delayMs,
    jitterMs: o.jitterMs,
    rateBps: bottleneck ? o.rateBps : 0,
    reorderPct: o.reorderPct,
    duplicatePct: o.duplicatePct,
    seed,
  };
  if (o.burstMeanLength !== undefined) {
    link.burstLossPct = o.lossPct;
    link.burstMeanLength = o.burstMeanLength;
  } else {
    link.lossPct = o.lossPct;
  }
  if (o.lossTracePath) link.lossTrace = LossTrace.loadSync(o.lossTracePath);
  if (o.rateTracePath && bottleneck) {
    link.bandwidthTrace = BandwidthTrace.loadSync(o.rateTracePath);
    delete link.rateBps;
  }
  return link;
}

function srtpKeys(suite: keyof typeof SRTP_SUITES): SrtpKeys {
  // Fresh random keys per call and direction (the end-to-end key agreement comes with e2ee/).
  const p = SRTP_SUITES[suite];
  return { masterKey: new Uint8Array(randomBytes(p.keyLength)), masterSalt: new Uint8Array(randomBytes(p.saltLength)) };
}

function summarize(p: Percentiles): LatencySummary {
  return { p50: p.percentile(50), p95: p.percentile(95), p99: p.percentile(99), mean: p.mean, max: p.max };
}

function mergePercentiles(a: Percentiles, b: Percentiles): Percentiles {
  const m = new Percentiles();
  for (const src of [a, b]) for (const v of (src as unknown as { values: number[] }).values) m.add(v);
  return m;
}

/**
 * A two-peer call in one process: A and B each send video and audio to the other over an
 * emulated network (or `realtime` on the wall clock), with SRTP, RTCP SR/RR, jitter buffers and
 * concealment. Returns the measured report (both directions pooled).
 */
export async function runCall(options: CallOptions = {}): Promise<CallReport> {
  const o = resolveCallOptions(options);
  const clock: Clock = o.realtime ? new RealClock() : new VirtualClock();
  // The epoch maps the call clock to wall time (NTP in SRs); the call starts once both peers
  // are ready (loading the codecs takes a moment that must not count as media delay).
  const epochUs = Date.now() * 1000 - clock.nowUs();
  const wallClockUs = (t: number): number => epochUs + t;
  const emulated = o.transport === "emulated" ? new EmulatedNetwork({ clock, aToB: linkOptions(o, o.seed, true), bToA: linkOptions(o, o.seed + 1, o.rateDirection === "both") }) : undefined;
  const net: EmulatedNetwork | UdpLoopbackPair = emulated ?? (await UdpLoopbackPair.open(clock));
  const rng = new SeededRandom(o.seed);

  const keysAB = srtpKeys(o.srtpSuite);
  const keysBA = srtpKeys(o.srtpSuite);
  const sendConfigs = [sendConfigFor(o, rng), sendConfigFor(o, rng)] as const;
  const receiveFrom = (remote: SendConfig) => receiveConfigFor(o, remote);
  const congestion = congestionFor(o);
  const processing = !o.realtime && o.modelProcessingTime;

  const sides: Side[] = [];
  const makeSide = async (name: "A" | "B", index: number): Promise<Side> => {
    const transport = index === 0 ? net.a : net.b;
    // Instrumentation: the other side's registry tells capture time and source frame.
    const annotateFrom = (get: () => Side) => (f: EncodedFrame) => {
      const rec = (f.kind === "video" ? get().sentVideo : get().sentAudio).lookup(f.rtpTimestamp);
      if (rec) {
        f.captureTimeUs = rec.captureTimeUs;
        f.frameIndex = rec.frameIndex;
      }
    };
    const other = (): Side => sides[1 - index]!;
    const peer = await Peer.create({
      cname: `rtcpipe-${name}`,
      transport,
      clock,
      send: sendConfigs[index]!,
      receive: receiveFrom(sendConfigs[1 - index]!),
      srtp: { suite: o.srtpSuite, send: index === 0 ? keysAB : keysBA, receive: index === 0 ? keysBA : keysAB },
      wallClockUs,
      congestion,
      addProcessingTime: processing,
      seed: o.seed * 2 + index,
      annotateVideo: annotateFrom(other),
      annotateAudio: annotateFrom(other),
    });
    const video = o.video === "none" ? undefined : o.inputPath ? new Y4mReader(o.inputPath, { loop: true }) : new TestPatternSource({ width: o.width, height: o.height, fps: o.fps, seed: o.seed + index });
    const audio = o.audio === "none" ? undefined : o.audioInputPath ? new WavReader(o.audioInputPath, { loop: true }) : new SpeechLikeSource({ seed: o.seed + index * 7919 });
    return { peer, video, audio, sentVideo: new CaptureRegistry(64), sentAudio: new CaptureRegistry(512), metrics: new DirectionMetrics(0), framesCaptured: 0, audioFramesCaptured: 0 };
  };
  if (o.realtime) await warmUpCodecs(o.video === "none" ? undefined : { codec: o.video, width: o.width, height: o.height }, o.audio !== "none");
  sides.push(await makeSide("A", 0), await makeSide("B", 1));

  // Wire each side's receive callbacks into its metrics; the other side's registry gives the source.
  sides.forEach((side, i) => {
    const other = sides[1 - i]!;
    side.peer.onVideoFrame = (frame, renderUs) => {
      const rec = frame.frameIndex >= 0 ? other.sentVideo.lookupByIndex(frame.frameIndex) : undefined;
      side.metrics.onVideoRendered(frame, renderUs, rec);
    };
    side.peer.onAudioFrame = (frame, playUs, slot) => side.metrics.onAudioPlayed(frame, playUs, slot);
    // Bitrates count RTP payload bytes (what the encoder's target refers to).
    side.peer.onRtpSent = (packet, _wireBytes, nowUs) => {
      if (packet.ssrc === side.peer.audioSend?.packetizer.ssrc) other.metrics.onAudioSent(packet.payload.length, nowUs);
      else other.metrics.onVideoSent(packet.payload.length, nowUs);
    };
  });

  if (emulated) o.onNetwork?.(emulated, clock);
  o.onPeers?.([sides[0]!.peer, sides[1]!.peer], clock);
  const startUs = clock.nowUs();
  const endUs = startUs + o.durationS * 1e6;
  for (const side of sides) side.metrics = new DirectionMetrics(startUs, endUs, 1e6 / o.fps);
  const frameIntervalUs = 1e6 / o.fps;
  for (const side of sides) {
    if (side.video) {
      let n = 0;
      const capture = (): void => {
        // Stop on the nominal clock: a late timer still captures the frame it was due for.
        if (startUs + Math.round(n * frameIntervalUs) >= endUs) return;
        const frame = side.video!.next();
        if (frame) {
          // The camera's timestamp is the nominal capture instant; a late timer is processing delay.
          frame.captureTimeUs = startUs + Math.round(n * frameIntervalUs);
          frame.frameIndex = side.framesCaptured++;
          const rtpTs = side.peer.sendVideo(frame, clock.nowUs()).rtpTimestamp;
          if (rtpTs !== undefined) side.sentVideo.record(rtpTs, { captureTimeUs: frame.captureTimeUs, frameIndex: frame.frameIndex, frame });
        }
        n++;
        clock.at(startUs + Math.round(n * frameIntervalUs), capture);
      };
      clock.at(startUs, capture);
    }
    if (side.audio) {
      let n = 0;
      const capture = (): void => {
        if (startUs + n * 20_000 >= endUs) return;
        const frame = side.audio!.next();
        if (frame) {
          // Audio runs on the sample clock: frame n starts at exactly n x 20 ms.
          frame.captureTimeUs = startUs + n * 20_000;
          frame.frameIndex = side.audioFramesCaptured++;
          const rtpTs = side.peer.sendAudio(frame, clock.nowUs()).rtpTimestamp;
          if (rtpTs !== undefined) side.sentAudio.record(rtpTs, { captureTimeUs: frame.captureTimeUs, frameIndex: frame.frameIndex });
        }
        n++;
        clock.at(startUs + n * 20_000, capture);
      };
      clock.at(startUs, capture);
    }
    side.peer.start();
  }

  // Once per second, each receiver samples its gauges and the loss of the link toward it.
  // Once per second, each receiver samples its gauges, and counters as per-second deltas.
  const prev: Record<string, number>[] = [{}, {}];
  const sample = (): void => {
    const ns = net.stats();
    const tUs = clock.nowUs();
    sides.forEach((side, i) => {
      const dir = i === 1 ? "aToB" : "bToA";
      const sender = sides[1 - i]!;
      const link = emulated ? (i === 1 ? emulated.linkAToB : emulated.linkBToA) : undefined;
      let capacityBps = 0;
      for (let k = 0; k < 10; k++) capacityBps += (link?.capacityBpsAt(tUs - 1e6 + (k + 0.5) * 1e5) ?? Infinity) / 10;
      const format = sender.peer.stats();
      const st = side.peer.stats();
      const get = (k: string): number => st[k] ?? 0;
      const now: Record<string, number> = {
        sent: ns[`${dir}.packetsIn`] ?? 0,
        lost: ["lostRandom", "lostBurst", "lostTrace", "droppedQueue"].reduce((acc, k) => acc + (ns[`${dir}.${k}`] ?? 0), 0),
        // Not recovered in time: video gaps given up, audio slots lost, and late packets.
        residual: get("videoReceive.reorder.skippedLost") + get("audioReceive.playout.expand"), // per second: gaps given up (incl. FEC seqs) + PLC frames
        rtx: get("rtxIn"),
        fec: get("fecRecovered"),
        audioFec: get("audioReceive.playout.fecRecoveredFrames"),
        slots: get("audioReceive.playout.outputFrames"),
        concealed: get("audioReceive.playout.expand"),
        wireBytes: emulated ? ns[`${dir}.bytesIn`] ?? 0 : sender.peer.stats().wireOutBytes ?? 0,
        queueSumMs: ns[`${dir}.queueDelaySumMs`] ?? 0,
        queued: ns[`${dir}.queuedPackets`] ?? 0,
      };
      const d = (k: string): number => now[k]! - (prev[i]![k] ?? 0);
      const dSent = Math.max(1, d("sent"));
      side.metrics.series.push({
        wireLossPct: (100 * d("lost")) / dSent,
        residualLossPct: (100 * d("residual")) / dSent,
        retransmittedPerS: d("rtx"),
        fecRecoveredPerS: d("fec"),
        audioFecFramesPerS: d("audioFec"),
        concealedPct: (100 * d("concealed")) / Math.max(1, d("slots")),
        jitterBufferMs: st["videoReceive.video-playout.delayMs"] ?? NaN,
        audioBufferMs: st["audioReceive.playout.bufferMs"] ?? NaN,
        rttMs: side.peer.rtcp.lastRttUs / 1000,
        capacityKbps: Number.isFinite(capacityBps) ? capacityBps / 1000 : NaN,
        estimateKbps: (sender.peer.bandwidth?.controller.targetRateBps ?? NaN) / 1000,
        sentKbps: (d("wireBytes") * 8) / 1000,
        queueDelayMs: d("queued") > 0 ? d("queueSumMs") / d("queued") : link && Number.isFinite(capacityBps) ? 0 : NaN,
        videoHeight: format["videoSend.format.paused"] ? 0 : format["videoSend.format.height"] ?? NaN,
        videoFpsTarget: format["videoSend.format.paused"] ? 0 : format["videoSend.format.fps"] ?? NaN,
      });
      prev[i] = now;
    });
  };
  const sampler = clock.every(1_000_000, (t) => {
    if (t <= endUs) sample();
  });

  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const progress = (tUs: number): void => {
    if (!o.onProgress) return;
    const sec = Math.floor((tUs - startUs) / 1e6) - 1;
    const buckets = sides.map((s) => s.metrics.seconds[sec]).filter((b) => b !== undefined);
    const sum = (f: (b: (typeof buckets)[number]) => number): number => buckets.reduce((a, b) => a + f(b), 0);
    const lat = new Percentiles();
    for (const b of buckets) lat.add(b.videoLatency.percentile(50));
    const ps = sum((b) => b.psnrSum) / Math.max(1, sum((b) => b.psnrCount));
    const ns = net.stats();
    o.onProgress({
      tS: Math.round((tUs - startUs) / 1e6), durationS: o.durationS,
      videoKbps: (sum((b) => b.videoBytes) * 8) / 1000 / Math.max(1, buckets.length),
      audioKbps: (sum((b) => b.audioBytes) * 8) / 1000 / Math.max(1, buckets.length),
      wireLossPct: lossPct(ns), videoLatencyP50Ms: lat.mean, psnrDb: ps,
    });
  };
  // Drain: let the last frames cross the network and play out.
  const drainUs = 1_000_000;
  if (clock instanceof VirtualClock) {
    for (let t = startUs + 1e6; t <= endUs + drainUs; t += 1e6) {
      clock.runUntil(t);
      if (t <= endUs) progress(t);
      await new Promise((r) => setImmediate(r));
    }
  } else {
    for (let t = startUs + 1e6; t <= endUs + drainUs; t += 1e6) {
      await new Promise((r) => setTimeout(r, Math.max(0, (t - clock.nowUs()) / 1000)));
      if (t <= endUs) progress(t);
    }
  }
  const wallS = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const netStats = net.stats();
  sampler.cancel();
  for (const s of sides) s.peer.close();
  for (const s of sides) if (o.video !== "none") s.metrics.freezes.finish(endUs, s.metrics.startUs);
  net.close();

  return buildReport(o, sides, netStats, { wallS, cpu, startedAt: new Date(epochUs / 1000 + startUs / 1000).toISOString() });
}

function startUsOf(sides: Side[]): number {
  return sides[0]!.metrics.startUs;
}

function lossPct(ns: Record<string, number>): number {
  const sent = (ns["aToB.packetsIn"] ?? 0) + (ns["bToA.packetsIn"] ?? 0);
  const lost = ["lostRandom", "lostBurst", "lostTrace", "droppedQueue"].reduce((a, k) => a + (ns[`aToB.${k}`] ?? 0) + (ns[`bToA.${k}`] ?? 0), 0);
  return sent > 0 ? (100 * lost) / sent : 0;
}

function packetCounts(sent: number, lostOnWire: number, lostAfterRecovery: number): PacketCounts {
  return {
    sent, lostOnWire, lostAfterRecovery,
    lostOnWirePct: sent > 0 ? (100 * lostOnWire) / sent : 0,
    lostAfterRecoveryPct: sent > 0 ? (100 * lostAfterRecovery) / sent : 0,
  };
}

function buildReport(
  o: ResolvedCallOptions,
  sides: Side[],
  netStats: Record<string, number>,
  run: { wallS: number; cpu: NodeJS.CpuUsage; startedAt: string },
): CallReport {
  const [a, b] = sides as [Side, Side];
  const statsA = a.peer.stats();
  const statsB = b.peer.stats();
  const both = (key: string): number => (statsA[key] ?? 0) + (statsB[key] ?? 0);
  const receivedStats = (side: Side, kind: "video" | "audio") => {
    const ssrc = kind === "video" ? sides[1 - sides.indexOf(side)]!.peer.videoSend?.packetizer.ssrc : sides[1 - sides.indexOf(side)]!.peer.audioSend?.packetizer.ssrc;
    return ssrc === undefined ? undefined : side.peer.rtcp.receivers.get(ssrc);
  };
  const wireLost = (kind: "video" | "audio"): number => sides.reduce((acc, s) => acc + Math.max(0, receivedStats(s, kind)?.cumulativeLost ?? 0), 0);
  const seconds = Math.max(a.metrics.seconds.length, b.metrics.seconds.length);

  let video: VideoReport | undefined;
  if (o.video !== "none") {
    const sent = both("videoSend.packetizer.packets");
    const lostWire = wireLost("video");
    // After recovery (FEC, RTX), a media packet is lost when it never reached the frame
    // assembler in time (the reorder buffer gave up on it).
    const residual = Math.max(0, sent - both("videoReceive.mediaDelivered"));
    const psnrAll = mergePercentiles(a.metrics.psnrY, b.metrics.psnrY);
    const fa = a.metrics.freezes.stats();
    const fb = b.metrics.freezes.stats();
    const decodeMs = [a, b].map((s) => s.peer.videoReceive?.meanDecodeMs ?? NaN);
    video = {
      codec: o.video, width: o.width, height: o.height,
      framesCaptured: a.framesCaptured + b.framesCaptured,
      framesSent: both("videoSend.encoder.framesEncoded"),
      framesDropped: both("videoSend.encoder.framesDropped"),
      framesDecoded: a.metrics.framesRendered + b.metrics.framesRendered,
      keyframes: both("videoSend.encoder.keyframes"),
      fpsDecoded: (a.metrics.framesRendered + b.metrics.framesRendered) / 2 / o.durationS,
      latencyMs: summarize(mergePercentiles(a.metrics.videoLatency, b.metrics.videoLatency)),
      psnrDb: { mean: psnrAll.mean, p5: psnrAll.percentile(5), min: psnrAll.min },
      freeze: {
        count: fa.count + fb.count,
        totalMs: (fa.totalMs + fb.totalMs) / 2,
        longestMs: Math.max(fa.longestMs, fb.longestMs),
        percentOfCall: ((fa.totalMs + fb.totalMs) / 2 / (o.durationS * 1000)) * 100,
        // Every freeze of either direction as [start, end] in ms since the call started.
        intervalsMs: [a, b].flatMap((s) => s.metrics.freezes.freezes.map(([f0, f1]) => [(f0 - s.metrics.startUs) / 1000, (f1 - s.metrics.startUs) / 1000] as [number, number])),
      },
      packets: packetCounts(sent, lostWire, residual),
      retransmitted: both("rtxOut"),
      recoveredByFec: both("fecRecovered"),
      fecOverheadPct: (100 * both("videoSend.fec-encoder.fecBytes")) / Math.max(1, both("videoSend.fec-encoder.mediaBytes")),
      recoveredByRtx: both("rtxIn"),
      nacksSent: a.peer.rtcp.nackSent + b.peer.rtcp.nackSent,
      upperLayerFramesPct: (100 * both("videoSend.encoder.upperLayerFrames")) / Math.max(1, both("videoSend.encoder.framesEncoded")),
      unneededPacketsSkipped: both("videoReceive.reorder.skippedUnneeded"),
      rtxOverheadPct: (100 * both("rtxOutBytes")) / Math.max(1, both("mediaOutBytes")),
      bitrateKbps: (both("videoSend.packetizer.bytes") * 8) / 1000 / o.durationS / 2,
      encodeMsMean: both("videoSend.encoder.encodeMsTotal") / Math.max(1, both("videoSend.encoder.framesIn")),
      decodeMsMean: (decodeMs[0]! + decodeMs[1]!) / 2,
    };
  }
  let audio: AudioReport | undefined;
  if (o.audio !== "none") {
    const sent = both("audioSend.packetizer.packets");
    const lostWire = wireLost("audio");
    const fecRecovered = both("audioReceive.playout.fecRecoveredFrames");
    const slots = a.metrics.audioSlots + b.metrics.audioSlots;
    const concealed = a.metrics.audioConcealed + b.metrics.audioConcealed;
    audio = {
      codec: "opus",
      framesSent: both("audioSend.encoder.framesEncoded") || sent,
      framesDecoded: a.metrics.audioDecoded + b.metrics.audioDecoded,
      framesConcealed: concealed,
      concealedPct: slots > 0 ? (100 * concealed) / slots : 0,
      latencyMs: summarize(mergePercentiles(a.metrics.audioLatency, b.metrics.audioLatency)),
      // After recovery (RED, in-band FEC, the playout's wait), a frame is lost when it had to be
      // synthesized by PLC.
      packets: packetCounts(sent, lostWire, concealed),
      fecRecovered,
      redOverheadPct: (100 * both("audioSend.red-audio-encoder.redundantBytes")) / Math.max(1, both("audioSend.packetizer.bytes")),
      bitrateKbps: (both("audioSend.packetizer.bytes") * 8) / 1000 / o.durationS / 2,
    };
  }

  const timeline: CallTimeline = {
    t: [], videoKbps: [], audioKbps: [], wireLossPct: [], residualLossPct: [], videoLatencyMs: [], audioLatencyMs: [],
    jitterBufferMs: [], audioBufferMs: [], psnrDb: [], fps: [], rttMs: [], retransmittedPerS: [], fecRecoveredPerS: [], audioFecFramesPerS: [], concealedPct: [], freezeMs: [],
    capacityKbps: [], estimateKbps: [], sentKbps: [], queueDelayMs: [], videoHeight: [], videoFpsTarget: [],
  };
  for (let i = 0; i < Math.min(seconds, Math.ceil(o.durationS)); i++) {
    const bs = [a.metrics.seconds[i], b.metrics.seconds[i]].filter((x) => x !== undefined);
    const sum = (f: (x: (typeof bs)[number]) => number): number => bs.reduce((acc, x) => acc + f(x), 0);
    const med = (f: (x: (typeof bs)[number]) => Percentiles): number => {
      const p = new Percentiles();
      for (const x of bs) p.add(f(x).percentile(50));
      return p.mean;
    };
    timeline.t.push(i + 1);
    timeline.videoKbps.push((sum((x) => x.videoBytes) * 8) / 1000 / 2);
    timeline.audioKbps.push((sum((x) => x.audioBytes) * 8) / 1000 / 2);
    timeline.videoLatencyMs.push(med((x) => x.videoLatency));
    timeline.audioLatencyMs.push(med((x) => x.audioLatency));
    timeline.psnrDb.push(sum((x) => x.psnrSum) / Math.max(1, sum((x) => x.psnrCount)) || NaN);
    timeline.fps.push(sum((x) => x.framesRendered) / 2);
    const w = sides.map((s) => s.metrics.series[i]).filter((x) => x !== undefined);
    const avg = (f: (x: (typeof w)[number]) => number): number => (w.length ? w.reduce((acc, x) => acc + f(x), 0) / w.length : NaN);
    timeline.wireLossPct.push(avg((x) => x.wireLossPct));
    timeline.residualLossPct.push(avg((x) => x.residualLossPct));
    timeline.jitterBufferMs.push(avg((x) => x.jitterBufferMs));
    timeline.audioBufferMs.push(avg((x) => x.audioBufferMs));
    timeline.rttMs.push(avg((x) => x.rttMs));
    timeline.retransmittedPerS.push(w.reduce((acc, x) => acc + x.retransmittedPerS, 0));
    timeline.fecRecoveredPerS.push(w.reduce((acc, x) => acc + x.fecRecoveredPerS, 0));
    timeline.audioFecFramesPerS.push(w.reduce((acc, x) => acc + x.audioFecFramesPerS, 0));
    timeline.concealedPct.push(avg((x) => x.concealedPct));
    // The path's series: both directions averaged, or A to B alone when only it has the bottleneck.
    const wp = o.rateDirection === "both" ? w : w.filter((x) => x === sides[1]!.metrics.series[i]);
    const avgPath = (f: (x: (typeof w)[number]) => number): number => (wp.length ? wp.reduce((acc, x) => acc + f(x), 0) / wp.length : NaN);
    timeline.capacityKbps.push(avgPath((x) => x.capacityKbps));
    timeline.estimateKbps.push(avgPath((x) => x.estimateKbps));
    timeline.sentKbps.push(avgPath((x) => x.sentKbps));
    timeline.queueDelayMs.push(avgPath((x) => x.queueDelayMs));
    timeline.videoHeight.push(avgPath((x) => x.videoHeight));
    timeline.videoFpsTarget.push(avgPath((x) => x.videoFpsTarget));
    // Frozen time inside this second (both directions pooled, averaged).
    const secStart = startUsOf(sides) + i * 1e6;
    let frozenUs = 0;
    for (const side of sides) {
      for (const [f0, f1] of side.metrics.freezes.freezes) frozenUs += Math.max(0, Math.min(f1, secStart + 1e6) - Math.max(f0, secStart));
    }
    timeline.freezeMs.push(frozenUs / 1000 / 2);
  }

  const cpuS = (run.cpu.user + run.cpu.system) / 1e6;
  const jitterMs = (kind: "video" | "audio"): number => {
    const vals = sides.map((s) => receivedStats(s, kind)).filter((r) => r !== undefined).map((r) => (r!.jitter / r!.clockRateHz) * 1000);
    return vals.length ? vals.reduce((x, y) => x + y, 0) / vals.length : NaN;
  };
  const srtpA = a.peer.srtpStats();
  const srtpB = b.peer.srtpStats();
  const { onProgress: _drop, onNetwork: _drop2, onPeers: _drop3, ...printable } = o;
  let bandwidth: BandwidthReport | undefined;
  if (o.abr) {
    const meanOf = (xs: number[]): number => {
      const f = xs.filter((x) => Number.isFinite(x));
      return f.length ? f.reduce((p, q) => p + q, 0) / f.length : NaN;
    };
    // Capacity offered over the call vs bytes through the bottleneck, in each direction that has one.
    const dirs = o.rateDirection === "both" ? 2 : 1;
    const offeredKbit = timeline.capacityKbps.reduce((acc, c) => acc + (Number.isFinite(c) ? dirs * c : NaN), 0);
    const carriedKbit = ((netStats["aToB.bytesOut"] ?? NaN) + (dirs === 2 ? netStats["bToA.bytesOut"] ?? NaN : 0)) * 8 / 1000;
    bandwidth = {
      estimateKbpsMean: meanOf(timeline.estimateKbps),
      utilizationPct: (100 * carriedKbit) / offeredKbit,
      queueDelayP95Ms: Math.max(netStats["aToB.queueDelayP95Ms"] ?? NaN, netStats["bToA.queueDelayP95Ms"] ?? NaN),
      queueDelayMaxMs: Math.max(netStats["aToB.queueDelayMaxMs"] ?? NaN, netStats["bToA.queueDelayMaxMs"] ?? NaN),
      formatChanges: both("videoSend.format.formatChanges"),
      paddingOverheadPct: (100 * both("paddingOutBytes")) / Math.max(1, both("mediaOutBytes")),
      feedbackPackets: both("twccOut"),
    };
  }
  return {
    tool: "rtcpipe",
    version: VERSION,
    startedAt: run.startedAt,
    options: printable,
    realtime: o.realtime,
    durationS: o.durationS,
    wallTimeS: run.wallS,
    cpu: {
      // CPU time per second of call: what a live call costs, on either clock.
      percentOfOneCore: (100 * cpuS) / o.durationS,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      userS: run.cpu.user / 1e6,
      systemS: run.cpu.system / 1e6,
    },
    video,
    audio,
    rtcp: {
      srSent: a.peer.rtcp.srSent + b.peer.rtcp.srSent,
      rrSent: a.peer.rtcp.rrSent + b.peer.rtcp.rrSent,
      pliSent: a.peer.rtcp.pliSent + b.peer.rtcp.pliSent,
      pliReceived: a.peer.rtcp.pliReceived + b.peer.rtcp.pliReceived,
      rttMs: (a.peer.rtcp.lastRttUs + b.peer.rtcp.lastRttUs) / 2 / 1000,
      jitterMs: { video: jitterMs("video"), audio: jitterMs("audio") },
    },
    srtp: {
      suite: o.srtpSuite,
      authFailures: srtpA.authFailures + srtpB.authFailures,
      replayed: srtpA.replayed + srtpB.replayed,
      malformed: srtpA.malformed + srtpB.malformed + both("malformedDropped"),
    },
    network: netStats,
    bandwidth,
    timeline,
  };
}
