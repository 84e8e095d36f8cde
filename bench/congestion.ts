/**
 * Congestion-control benchmark: µs per packet of TWCC feedback processing by our
 * NetworkController (GCC-style: inter-arrival grouping, trendline, adaptive threshold, AIMD,
 * acknowledged bitrate, probing, ALR, pushback) against a naive baseline in the same run, plus
 * the delay-based pre-filter/filter/detector chain alone.
 *
 *   npx tsx bench/congestion.ts [--max-time 1.5]
 *
 * Input: pre-generated feedback for a 2 Mbps stream (1200-byte packets every 4.8 ms, 10 per
 * feedback = one feedback every 48 ms), arrival jitter 0..2 ms, a slowly oscillating queue
 * (0..40 ms) and 1% random loss, seeded. Each benchmark call processes one feedback.
 *
 * Baseline: werift has no GCC (DESIGN.md), so there is no third-party TypeScript estimator to
 * run; the baseline is a naive "follow the receive rate" controller written here: per feedback
 * it filters the received packets into a new array, sorts them by arrival, computes the
 * receive rate over the feedback's arrival span and sets target = 0.95 x that rate, clamped.
 * It is what a sender without a delay model would do, and allocates per feedback the way
 * straightforward code does. Writes bench/results/congestion.json and prints µs per packet.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PacketResult, TransportFeedbackUpdate } from "../src/congestion/congestion-types.js";
import { InterArrivalDelta } from "../src/congestion/inter-arrival-delta.js";
import { NetworkController } from "../src/congestion/network-controller.js";
import { OveruseDetector } from "../src/congestion/overuse-detector.js";
import { TrendlineEstimator } from "../src/congestion/trendline-estimator.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";


const PACKETS_PER_FEEDBACK = 10;
const FEEDBACKS = 20_000;
const INTERVAL_US = 4_800;

interface Row {
  case: string;
  impl: string;
  usPerPacket: number;
  feedbacksPerSec: number;
  marginPct: number;
}

const rng = new SeededRandom(2093);
const feedbacks: TransportFeedbackUpdate[] = [];
let seq = 0;
for (let f = 0; f < FEEDBACKS; f++) {
  const packets: PacketResult[] = [];
  let lastArrival = 0;
  for (let i = 0; i < PACKETS_PER_FEEDBACK; i++, seq++) {
    const sendUs = seq * INTERVAL_US;
    const queueUs = 20_000 + 20_000 * Math.sin(seq / 500);
    const arrival = Math.max(lastArrival, sendUs + 30_000 + queueUs + rng.next() * 2_000);
    lastArrival = arrival;
    packets.push({ sent: { sequenceNumber: seq, sendTimeUs: sendUs, sizeBytes: 1200, probeClusterId: -1, isAudio: false }, receiveTimeUs: rng.next() < 0.01 ? undefined : arrival });
  }
  feedbacks.push({ feedbackTimeUs: seq * INTERVAL_US + 60_000, packets, dataInFlightBytes: 15_000 });
}

/** The naive baseline described in the header. */
class NaiveRateFollower {
  targetRateBps = 300_000;
  onTransportFeedback(u: TransportFeedbackUpdate): number {
    const received = u.packets.filter((p) => p.receiveTimeUs !== undefined).sort((a, c) => a.receiveTimeUs! - c.receiveTimeUs!);
    if (received.length < 2) return this.targetRateBps;
    const spanUs = received[received.length - 1]!.receiveTimeUs! - received[0]!.receiveTimeUs!;
    const bytes = received.slice(1).reduce((s, p) => s + p.sent.sizeBytes, 0);
    if (spanUs > 0) this.targetRateBps = Math.min(2_500_000, Math.max(30_000, (0.95 * bytes * 8e6) / spanUs));
    return this.targetRateBps;
  }
}

let sink = 0;
let ccIndex = 0;
let cc = new NetworkController();
let naiveIndex = 0;
let naive = new NaiveRateFollower();
let chainIndex = 0;
let ia = new InterArrivalDelta();
let tl = new TrendlineEstimator();
let od = new OveruseDetector();

const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
const collect = (name: string) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerPacket: 1e6 / r.ops / PACKETS_PER_FEEDBACK, feedbacksPerSec: r.ops, marginPct: r.margin });
  });

await b.suite(
  "TWCC feedback processing (10 packets per feedback)",
  config,
  b.add("rtcpipe NetworkController.onTransportFeedback", () => {
    if (ccIndex === FEEDBACKS) {
      ccIndex = 0;
      cc = new NetworkController();
    }
    const u = cc.onTransportFeedback(feedbacks[ccIndex++]!);
    sink += u ? u.targetRateBps : 0;
  }),
  b.add("naive baseline (follow 0.95 x receive rate)", () => {
    if (naiveIndex === FEEDBACKS) {
      naiveIndex = 0;
      naive = new NaiveRateFollower();
    }
    sink += naive.onTransportFeedback(feedbacks[naiveIndex++]!);
  }),
  b.add("delay chain only (InterArrivalDelta + Trendline + OveruseDetector)", () => {
    if (chainIndex === FEEDBACKS) {
      chainIndex = 0;
      ia = new InterArrivalDelta();
      tl = new TrendlineEstimator();
      od = new OveruseDetector();
    }
    const f = feedbacks[chainIndex++]!;
    for (const p of f.packets) {
      if (p.receiveTimeUs === undefined) continue;
      const d = ia.computeDeltas(p.sent.sendTimeUs, p.receiveTimeUs, f.feedbackTimeUs, p.sent.sizeBytes);
      if (!d) continue;
      const t = tl.update(d.arrivalDeltaMs, d.sendDeltaMs, p.receiveTimeUs / 1000);
      sink += od.detect(t.modifiedTrend, t.slope, d.sendDeltaMs, t.numDeltas, f.feedbackTimeUs / 1000) === "overusing" ? 1 : 0;
    }
  }),
  b.cycle(),
  collect("feedback"),
);

const st = cc.stats();
if (st.droppedFeedback > 0 || st.droppedPackets > 0 || st.stalePackets > 0) throw new Error(`bench fed input the controller dropped: ${JSON.stringify(st)}`);
const result = { node: process.version, packetsPerFeedback: PACKETS_PER_FEEDBACK, rows, controllerStats: st, sink };
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "congestion.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\nimpl                                                                  µs/packet");
for (const r of rows) console.log(`${r.impl.padEnd(70)} ${r.usPerPacket.toFixed(3)}`);
