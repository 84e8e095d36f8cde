/**
 * A closed loop for congestion-control tests, no codec needed: a sender paces packets at the
 * NetworkController's target (plus the probe clusters it asks for) into a fluid model of a
 * bottleneck link (FIFO served at a capacity that may change over time, drop-tail buffer,
 * random loss before the queue, fixed propagation delay). The receiver reports every packet's
 * arrival in TWCC-like feedback every `feedbackIntervalMs`, and an RTCP-RR-like fraction lost
 * and RTT every second; both reach the sender after the return delay. Everything runs on
 * virtual time with seeded randomness, so runs repeat exactly.
 */
import type { NetworkTargetUpdate, PacketResult, ProbeCluster, TransportFeedbackUpdate } from "../../src/congestion/congestion-types.js";
import { NetworkController, type NetworkControllerOptions } from "../../src/congestion/network-controller.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

export interface SimulationOptions {
  durationS: number;
  /** Capacity (bps) as a function of time (s). */
  capacityBps: (tS: number) => number;
  /** Buffer of the bottleneck in bytes. */
  bufferBytes: number;
  oneWayDelayMs?: number;
  lossPct?: number;
  /** Extra delay after the bottleneck, uniform 0..jitterMs per packet, order kept. */
  jitterMs?: number;
  seed?: number;
  packetSizeBytes?: number;
  feedbackIntervalMs?: number;
  controller?: NetworkControllerOptions;
}

/** One sample per 100 ms of virtual time. */
export interface Sample {
  tS: number;
  targetBps: number;
  capacityBps: number;
  /** Queuing delay (waiting before service, ms) of the last packet that arrived in this 100 ms, NaN if none. */
  queueDelayMs: number;
  /** Highest queuing delay of packets arriving in this 100 ms (ms), NaN if none. */
  maxQueueDelayMs: number;
  /** Bits delivered in this 100 ms, per second. */
  deliveredBps: number;
}

export interface SimulationResult {
  samples: Sample[];
  controller: NetworkController;
  updates: NetworkTargetUpdate[];
  probesSent: number;
  packetsSent: number;
  packetsDropped: number;
}

const STEP_US = 250;

export function simulate(o: SimulationOptions): SimulationResult {
  const rng = new SeededRandom(o.seed ?? 1);
  const propUs = (o.oneWayDelayMs ?? 50) * 1000;
  const size = o.packetSizeBytes ?? 1200;
  const fbIntervalUs = (o.feedbackIntervalMs ?? 50) * 1000;
  const lossP = (o.lossPct ?? 0) / 100;
  const jitterUs = (o.jitterMs ?? 0) * 1000;
  let lastArrivalUs = 0;
  const endUs = o.durationS * 1e6;
  const cc = new NetworkController(o.controller);
  let targetBps = cc.targetRateBps;

  // Per packet (index = transport-wide sequence number).
  const sendUs: number[] = [];
  const sizes: number[] = [];
  const probeIds: number[] = [];
  const arrivalUs: number[] = [];
  const queueUs: number[] = [];
  /** Bytes sent up to and including each sequence number. */
  const cumBytes: number[] = [];
  let totalBytes = 0;

  let linkFreeUs = 0; // when the bottleneck finishes serving what is queued
  let queuedBytes = 0;
  const inQueue: { departUs: number; size: number }[] = [];
  let dropped = 0;

  const updates: NetworkTargetUpdate[] = [];
  const probeQueue: { cluster: ProbeCluster; left: number; nextUs: number }[] = [];
  let probesSent = 0;
  const apply = (u: NetworkTargetUpdate | undefined, nowUs: number): void => {
    if (!u) return;
    updates.push(u);
    targetBps = u.targetRateBps;
    for (const c of u.probeClusters) {
      const n = Math.max(c.minProbes, Math.ceil(c.minBytes / size));
      probeQueue.push({ cluster: c, left: n, nextUs: nowUs });
    }
  };

  const send = (tUs: number, probeId: number): void => {
    const seq = sendUs.length;
    sendUs.push(tUs);
    sizes.push(size);
    probeIds.push(probeId);
    totalBytes += size;
    cumBytes.push(totalBytes);
    cc.onSentPacket({ sequenceNumber: seq, sendTimeUs: tUs, sizeBytes: size, probeClusterId: probeId, isAudio: false });
    // Drop-tail buffer: bytes still waiting at tUs.
    while (inQueue.length > 0 && inQueue[0]!.departUs <= tUs) queuedBytes -= inQueue.shift()!.size;
    if (rng.next() < lossP || queuedBytes + size > o.bufferBytes) {
      arrivalUs.push(NaN);
      queueUs.push(NaN);
      dropped++;
      return;
    }
    const startUs = Math.max(tUs, linkFreeUs);
    // Serve at the capacity at the start of service (fluid approximation of a trace).
    const serviceUs = (size * 8 * 1e6) / o.capacityBps(startUs / 1e6);
    linkFreeUs = startUs + serviceUs;
    queuedBytes += size;
    inQueue.push({ departUs: linkFreeUs, size });
    // Jitter after the bottleneck; a packet never overtakes the one before it.
    const arrival = Math.max(lastArrivalUs, linkFreeUs + propUs + (jitterUs > 0 ? rng.next() * jitterUs : 0));
    lastArrivalUs = arrival;
    arrivalUs.push(arrival);
    queueUs.push(startUs - tUs);
  };

  // Feedback generation state.
  let nextFeedbackUs = fbIntervalUs;
  let reportedUpTo = -1; // highest seq already put in feedback
  const pendingFeedback: TransportFeedbackUpdate[] = [];
  let nextRrUs = 1e6;
  let rrFrom = 0;
  const pendingRr: { atUs: number; expected: number; loss: number; rttMs: number }[] = [];
  let nextTickUs = 0;
  let nextMediaUs = 0;

  const samples: Sample[] = [];
  let nextSampleUs = 100_000;
  let sampleFrom = 0;
  let arrivedScan = 0;

  for (let t = 0; t <= endUs; t += STEP_US) {
    // Sender: controller inputs due now.
    while (pendingFeedback.length > 0 && pendingFeedback[0]!.feedbackTimeUs <= t) {
      const fb = pendingFeedback.shift()!;
      // What the sender's feedback adapter knows: bytes sent after the newest reported packet.
      const lastSeq = fb.packets[fb.packets.length - 1]!.sent.sequenceNumber;
      fb.dataInFlightBytes = totalBytes - cumBytes[lastSeq]!;
      apply(cc.onTransportFeedback(fb), t);
    }
    while (pendingRr.length > 0 && pendingRr[0]!.atUs <= t) {
      const r = pendingRr.shift()!;
      apply(cc.onRttMs(r.rttMs, r.atUs), t);
      apply(cc.onLossReport(r.loss, r.atUs, r.expected), t);
    }
    if (t >= nextTickUs) {
      apply(cc.onProcessInterval(t), t);
      nextTickUs += 25_000;
    }
    // Pacer: while a probe cluster is active, everything leaves at the cluster's rate and
    // carries its id (media first, padding for the rest, as libwebrtc's pacer does); otherwise
    // media is paced at the target.
    const p = probeQueue[0];
    if (p) {
      if (p.nextUs < t - STEP_US) p.nextUs = t;
      while (p.left > 0 && p.nextUs <= t) {
        send(p.nextUs, p.cluster.id);
        probesSent++;
        p.left--;
        p.nextUs += (size * 8 * 1e6) / p.cluster.targetRateBps;
      }
      if (p.left === 0) probeQueue.shift();
      nextMediaUs = Math.max(nextMediaUs, t);
    } else {
      while (nextMediaUs <= t) {
        send(nextMediaUs, -1);
        nextMediaUs += (size * 8 * 1e6) / targetBps;
      }
    }
    // Receiver: feedback covering every packet up to the newest arrival.
    if (t >= nextFeedbackUs) {
      nextFeedbackUs += fbIntervalUs;
      let newest = reportedUpTo;
      for (let s = reportedUpTo + 1; s < sendUs.length; s++) {
        const a = arrivalUs[s]!;
        if (!Number.isNaN(a) && a <= t) newest = s;
        else if (!Number.isNaN(a)) break;
      }
      if (newest > reportedUpTo) {
        const packets: PacketResult[] = [];
        for (let s = reportedUpTo + 1; s <= newest; s++) {
          const a = arrivalUs[s]!;
          packets.push({ sent: { sequenceNumber: s, sendTimeUs: sendUs[s]!, sizeBytes: sizes[s]!, probeClusterId: probeIds[s]!, isAudio: false }, receiveTimeUs: Number.isNaN(a) ? undefined : a });
        }
        reportedUpTo = newest;
        pendingFeedback.push({ feedbackTimeUs: t + propUs, packets, dataInFlightBytes: 0 });
      }
    }
    if (t >= nextRrUs) {
      nextRrUs += 1e6;
      let expected = 0;
      let lost = 0;
      let s = rrFrom;
      for (; s < sendUs.length; s++) {
        const a = arrivalUs[s]!;
        if (!Number.isNaN(a) && a > t) break;
        if (sendUs[s]! + propUs > t) break;
        expected++;
        if (Number.isNaN(a)) lost++;
      }
      rrFrom = s;
      const lastQ = queueUs[Math.max(0, s - 1)] ?? 0;
      pendingRr.push({ atUs: t + propUs, expected, loss: expected > 0 ? Math.floor((256 * lost) / expected) / 256 : 0, rttMs: (2 * propUs + (Number.isNaN(lastQ) ? 0 : lastQ)) / 1000 });
    }
    if (t >= nextSampleUs) {
      let bits = 0;
      let lastQ = NaN;
      let maxQ = NaN;
      for (let s = arrivedScan; s < sendUs.length; s++) {
        const a = arrivalUs[s]!;
        if (!Number.isNaN(a) && a > t) break;
        arrivedScan = s + 1;
        if (Number.isNaN(a)) continue;
        if (a <= sampleFrom) continue;
        bits += sizes[s]! * 8;
        lastQ = queueUs[s]! / 1000;
        maxQ = Number.isNaN(maxQ) ? lastQ : Math.max(maxQ, lastQ);
      }
      samples.push({ tS: t / 1e6, targetBps, capacityBps: o.capacityBps(t / 1e6), queueDelayMs: lastQ, maxQueueDelayMs: maxQ, deliveredBps: bits / ((t - sampleFrom) / 1e6) });
      sampleFrom = t;
      nextSampleUs += 100_000;
    }
  }
  return { samples, controller: cc, updates, probesSent, packetsSent: sendUs.length, packetsDropped: dropped };
}
