/**
 * Replays the bandwidth fixtures (fixtures/bandwidth/, time_ms,capacity_kbps) through whole
 * calls with adaptive bitrate on, on the virtual clock, and checks issue 5's targets. The trace
 * applies to both directions (as `rtcpipe call --rate-trace` does), so each side's TWCC
 * feedback queues behind the other side's media at the same bottleneck; one step run applies it
 * to A -> B only (`rateDirection: "a-to-b"`, RFC 8867 5.1's setup). Calls are 320x240 (the
 * steps and 3G at the 640x480) with `modelProcessingTime: false` (the claims are about the network loop, not the encoder's CPU
 * time, and measured encode times would make the runs differ from one machine to the next),
 * and as short as each claim allows, so the file stays within the suite's budget; README.md's
 * table has the 640x480, 30 s figures from `rtcpipe call`.
 * A 100 ms sampler on the emulated network gives each direction's rate into the bottleneck
 * (every byte: media, FEC, RTX, padding, RTCP) and the mean queuing delay of the packets that
 * entered it. Each threshold says where it comes from: the target, or (where the issue
 * names none, as for utilisation) today's figure with a margin, so a regression fails.
 */
import { describe, expect, it } from "vitest";
import { runCall } from "../../src/session/call.js";
import type { CallOptions } from "../../src/session/call-options.js";
import { BandwidthTrace } from "../../src/net/bandwidth-trace.js";
import type { CallReport } from "../../src/metrics/call-report.js";

const SAMPLE_US = 100_000;
const DIRS = ["aToB", "bToA"] as const;

interface Sample {
  /** End of the 100 ms window, seconds since the call started. */
  tS: number;
  capacityKbps: number;
  /** Per direction: rate into the bottleneck (kbps) and mean queue delay of what entered (ms, NaN if nothing did). */
  sentKbps: [number, number];
  queueMs: [number, number];
}

interface TraceRun {
  report: CallReport;
  samples: Sample[];
}

const base: CallOptions = { width: 320, height: 240, videoBitrateBps: 2_500_000, modelProcessingTime: false, delayMs: 50, seed: 1 };

async function replay(trace: string, options: CallOptions): Promise<TraceRun> {
  const path = `fixtures/bandwidth/${trace}.csv`;
  const capacity = BandwidthTrace.loadSync(path);
  const samples: Sample[] = [];
  const report = await runCall({
    ...base,
    ...options,
    rateTracePath: path,
    onNetwork: (network, clock) => {
      const t0 = clock.nowUs();
      let prev = network.stats();
      clock.every(SAMPLE_US, (t) => {
        const now = network.stats();
        const d = (k: string): number => (now[k] ?? 0) - (prev[k] ?? 0);
        const sent = DIRS.map((dir) => (d(`${dir}.bytesIn`) * 8) / 1000 / (SAMPLE_US / 1e6)) as [number, number];
        const queue = DIRS.map((dir) => (d(`${dir}.queuedPackets`) > 0 ? d(`${dir}.queueDelaySumMs`) / d(`${dir}.queuedPackets`) : NaN)) as [number, number];
        samples.push({ tS: (t - t0) / 1e6, capacityKbps: capacity.rateAtUs(t - t0 - SAMPLE_US / 2) / 1000, sentKbps: sent, queueMs: queue });
        prev = now;
      });
    },
  });
  return { report, samples };
}

/** Mean of each direction's rate over the second ending at each sample. */
function sentOverLastSecond(r: TraceRun, i: number, dir: 0 | 1): number {
  const window = r.samples.slice(Math.max(0, i - 9), i + 1);
  return window.reduce((acc, s) => acc + s.sentKbps[dir], 0) / window.length;
}

/** Mean of one direction's rate over the 250 ms ending at each sample. */
function sentOverLast250ms(r: TraceRun, i: number, dir: 0 | 1): number {
  const n = Math.max(1, Math.round(250_000 / SAMPLE_US));
  const window = r.samples.slice(Math.max(0, i - n + 1), i + 1);
  return window.reduce((acc, s) => acc + s.sentKbps[dir], 0) / window.length;
}

/**
 * First time (s) after `fromS` from which `ok` holds, both directions, for `forS` seconds in a
 * row; Infinity if never. The "sending rate below capacity within 1 s" and "queuing
 * delay back under 100 ms within 2 s" read this way: the rate falls under, the queue gets back
 * under, and they stay there (a later up-switch, seconds on, is a new event).
 */
function firstSustained(r: TraceRun, fromS: number, forS: number, ok: (s: Sample, dir: 0 | 1, i: number) => boolean): number {
  let since = Infinity;
  for (let i = 0; i < r.samples.length; i++) {
    const s = r.samples[i]!;
    if (s.tS <= fromS) continue;
    if (!(ok(s, 0, i) && ok(s, 1, i))) since = Infinity;
    else if (!Number.isFinite(since)) since = s.tS;
    if (s.tS - since >= forS - 1e-9) return since;
  }
  return Infinity;
}

/** Rate into the bottleneck over capacity offered, both directions, between two times (%). */
function utilizationPct(r: TraceRun, fromS: number, untilS: number): number {
  const w = r.samples.filter((s) => s.tS > fromS && s.tS <= untilS);
  const sent = w.reduce((acc, s) => acc + Math.min(s.sentKbps[0], s.capacityKbps) + Math.min(s.sentKbps[1], s.capacityKbps), 0);
  const offered = w.reduce((acc, s) => acc + 2 * s.capacityKbps, 0);
  return (100 * sent) / offered;
}

function p95(xs: number[]): number {
  const f = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return f.length ? f[Math.min(f.length - 1, Math.floor(0.95 * f.length))]! : NaN;
}

const queues = (r: TraceRun, fromS = 0): number[] => r.samples.filter((s) => s.tS > fromS).flatMap((s) => s.queueMs);

describe("bandwidth fixtures replayed through a call with adaptive bitrate", () => {
  it("steady 2 Mbps from a 300 kbps start: 90% of the capacity within 5 s (issue 5 target), over 75% after", async () => {
    const r = await replay("steady-2mbps", { durationS: 8 });
    // Time at which the rate over the last second first reaches 90% of the 2 Mbps, per direction.
    const reached = ([0, 1] as const).map((dir) => r.samples.find((s, i) => sentOverLastSecond(r, i, dir) >= 0.9 * s.capacityKbps)?.tS ?? Infinity);
    console.log(`steady 2 Mbps: 90% reached at ${reached.map((t) => t.toFixed(1)).join(" / ")} s, utilization 4-8 s ${utilizationPct(r, 4, 8).toFixed(0)}%, queue p95 ${p95(queues(r))} ms`);
    for (const t of reached) expect(t).toBeLessThanOrEqual(5);
    // The issue asks only for reaching 90%; as a steady state it is less: VP8 undershoots its
    // target, and the periodic keyframes' bursts make the detector back off now and then.
    // Today ~83%; margin to 75%.
    expect(utilizationPct(r, 4, 8)).toBeGreaterThan(75);
    // The estimate does not run into the queue: what a 2 Mbps link with a 50 ms path holds.
    expect(p95(queues(r, 1))).toBeLessThan(150);
    expect(r.report.video!.freeze.longestMs).toBeLessThan(300);
  });

  it("step 1 Mbps -> 200 kbps at 10 s, both directions, 640x480: under capacity within 1 s, queue < 100 ms within 2 s, no freeze over 500 ms (issue 5 targets)", async () => {
    const r = await replay("step-1m-200k-1m", { durationS: 20, width: 640, height: 480 });
    // Under the capacity from then until 16 s (as the forward-only test below): later the
    // estimate climbs back to the capacity (AIMD's additive increase, which may touch 1.05x it
    // before 20 s); the mean queue over 17-20 s checks that the climb does not fill the queue.
    const below = firstSustained(r, 10, 1, (_s, dir, i) => sentOverLast250ms(r, i, dir) <= 200 * 1.05) - 10;
    const drained = firstSustained(r, 10, 1, (s, dir) => !(s.queueMs[dir] >= 100)) - 10;
    const after = r.report.video!.freeze.intervalsMs.filter(([, end]) => end > 10_000);
    const longest = Math.max(0, ...after.map(([a, b]) => Math.min(b, 20_000) - Math.max(a, 10_000)));
    const tail = r.report.timeline.estimateKbps.slice(13, 16);
    const late = r.samples.filter((x) => x.tS > 17 && x.tS <= 20).flatMap((x) => x.queueMs.filter((q) => Number.isFinite(q)));
    const lateQueueMs = late.reduce((p, q) => p + q, 0) / Math.max(1, late.length);
    console.log(`step: rate under capacity ${below.toFixed(1)} s after the drop, queue < 100 ms ${drained.toFixed(1)} s after, mean queue 17-20 s ${lateQueueMs.toFixed(0)} ms, longest freeze ${longest.toFixed(0)} ms, estimate 13-16 s ${tail.map((x) => x.toFixed(0)).join(" ")} kbps`);
    // The trace applies to both directions, so each side's feedback waits in the other side's
    // filling queue (a 300 ms buffer at 1 Mbps holds 1.5 s at 200 kbps, and fills in 0.4 s).
    // What acts first is the congestion-window pushback: its window's queue time follows the
    // feedback interval, a keyframe's burst is allowed for, the target falls by the overfill,
    // and the frame dropper passes only the pushback's share of frames (libwebrtc's DropFrame);
    // once the pushback is past a third, the ladder goes to 160x120 at once (one keyframe),
    // and stays there while the encoder is starved (EncoderQpMonitor); then the standing-queue
    // cut. Seed 1, codec time not modelled: under capacity 0.6 s after the drop, queue < 100 ms
    // 1.8 s after, no freeze (~280 ms when the ladder still tried 320x240). At 320x240 the same call
    // drains in 2.4-2.5 s: this test pattern's frames at 320x240 and 240x180 are 4-8 KB at any
    // quantizer, and one or two of them still go out before the pushback is past a third.
    expect(below).toBeLessThanOrEqual(1);
    expect(drained).toBeLessThanOrEqual(2);
    expect(longest).toBeLessThanOrEqual(500);
    expect(lateQueueMs).toBeLessThan(100);
    // The estimate settles near the new capacity instead of the 30 kbps minimum.
    for (const e of tail) expect(e).toBeGreaterThan(70);
    for (const e of tail) expect(e).toBeLessThan(230);
    // Video keeps a rung in the seconds after the drain in at least one direction.
    const heights = r.report.timeline.videoHeight.slice(14, 17);
    for (const h of heights) expect(h).toBeGreaterThan(0);
  });

  it("step 1 Mbps -> 200 kbps at 10 s on the forward path only (RFC 8867 5.1, feedback path uncongested), 640x480: under capacity within 1 s, queue < 100 ms within 2 s, no freeze over 500 ms (issue 5 targets)", async () => {
    const r = await replay("step-1m-200k-1m", { durationS: 16, rateDirection: "a-to-b", width: 640, height: 480 });
    // Only A -> B (direction 0) has the bottleneck.
    const sustainedA = (ok: (s: Sample, i: number) => boolean): number => firstSustained(r, 10, 1, (s, dir, i) => dir === 1 || ok(s, i)) - 10;
    const below = sustainedA((_s, i) => sentOverLast250ms(r, i, 0) <= 200 * 1.05);
    const drained = sustainedA((s) => !(s.queueMs[0] >= 100));
    const after = r.report.video!.freeze.intervalsMs.filter(([, end]) => end > 10_000);
    const longest = Math.max(0, ...after.map(([a, b]) => Math.min(b, 16_000) - Math.max(a, 10_000)));
    console.log(`step, forward path only: rate under capacity ${below.toFixed(1)} s after the drop, queue < 100 ms ${drained.toFixed(1)} s after, longest freeze ${longest.toFixed(0)} ms, queue p95 10-16 s ${p95(r.samples.filter((x) => x.tS > 10).map((x) => x.queueMs[0])).toFixed(0)} ms`);
    // Seed 1, codec time not modelled: 0.5 s, 1.4 s, ~270 ms. The drop itself cuts the
    // estimate to 75-80 kbps; once the queue has drained it goes back to 0.85 x what the path
    // delivered meanwhile, and the delay filters start over (their over-use from the filling
    // queue had cut it again to 0.85 x an acknowledged rate the pushback had lowered, < 50
    // kbps, and paused video for 1.5 s).
    expect(below).toBeLessThanOrEqual(1);
    expect(drained).toBeLessThanOrEqual(2);
    expect(longest).toBeLessThanOrEqual(500);
    expect(r.report.bandwidth!.utilizationPct).toBeGreaterThan(30);
  });

  it("3G-like 150 kbps, 100 ms one-way, 3% loss: audio concealed < 3%, >= 10 fps at 160x120 or better, p95 latency < 400 ms (the issue's targets)", async () => {
    // At the size (640x480 capture, as `rtcpipe call` measures it) and for 30 s: the
    // trace is cheap (the ladder sits at 160x120), and at 320x240 capture its ladder keeps
    // 200x150 at 8-9 fps instead.
    const r = await replay("3g-150k", { width: 640, height: 480, durationS: 30, delayMs: 100, lossPct: 3 });
    const v = r.report.video!;
    const fpsTail = r.report.timeline.fps.slice(10);
    const heightTail = r.report.timeline.videoHeight.slice(10);
    console.log(`3G: audio concealed ${r.report.audio!.concealedPct.toFixed(1)}%, fps ${v.fpsDecoded.toFixed(1)} (10-30 s ${fpsTail.join(" ")}), heights ${heightTail.join(" ")}, p95 latency ${v.latencyMs.p95.toFixed(0)} ms, utilization ${utilizationPct(r, 2, 30).toFixed(0)}%`);
    // The targets. Today (seeds 1-3, this deterministic run's settings): audio ~1.5%,
    // 11-14 fps at 160x120, p95 314-376 ms. A lost upper-layer frame (two temporal layers are on
    // on this lossy long-RTT path) and a lost FEC packet are skipped when their retransmission
    // could not be in time, instead of stalling every frame behind them (was ~530 ms).
    expect(r.report.audio!.concealedPct).toBeLessThan(3);
    expect(v.fpsDecoded).toBeGreaterThanOrEqual(10);
    // The ladder's smallest rung is 160x120; a second's height is the mean of both sides, so a
    // side that paused (target under 50 kbps after a queue spike) shows as 60 for that second.
    for (const h of heightTail) expect(h).toBeGreaterThan(0); // never both paused
    expect(v.latencyMs.p95).toBeLessThan(400);
    // The queue stays within what the trace's buffer allows once the start is over.
    expect(p95(queues(r, 5))).toBeLessThan(380);
  });

  it("cellular-like 300-4000 kbps: link utilisation and p95 queuing delay", async () => {
    const r = await replay("cellular", { durationS: 20 });
    const util = utilizationPct(r, 3, 20);
    const q95 = p95(queues(r, 3));
    console.log(`cellular: utilization 3-20 s ${util.toFixed(0)}%, queue p95 ${q95} ms, freeze ${r.report.video!.freeze.percentOfCall.toFixed(1)}%`);
    // No target in the issue beyond reporting them; today ~63% and ~55 ms, with margin. (The
    // capacity swings by 2x within seconds; GCC follows it from below.)
    expect(util).toBeGreaterThan(50);
    expect(q95).toBeLessThan(150);
    expect(r.report.video!.freeze.percentOfCall).toBeLessThan(5);
  });

  it("2 s outage (5-7 s at 2 Mbps): the call survives and the rate recovers", async () => {
    const r = await replay("outage-2s", { durationS: 14 });
    const v = r.report.video!;
    const freezesAfter = v.freeze.intervalsMs.filter(([, end]) => end > 7_000);
    const lastFreezeEnd = Math.max(0, ...freezesAfter.map(([, end]) => end));
    const est = r.report.timeline.estimateKbps;
    console.log(`outage: last freeze ends ${(lastFreezeEnd / 1000).toFixed(1)} s, estimate 8-14 s ${est.slice(8).map((x) => x.toFixed(0)).join(" ")} kbps, fps 10-14 s ${r.report.timeline.fps.slice(10).join(" ")}, utilization 10-14 s ${utilizationPct(r, 10, 14).toFixed(0)}%, queue p95 ${p95(queues(r))} ms`);
    // Video comes back within 2 s of the path returning (the loss issue's PLI + keyframe), and
    // plays at full rate afterwards.
    expect(lastFreezeEnd).toBeLessThan(9_000);
    // Full rate from 12 s on; seconds 10-11 are still at ~9-23 fps (the ladder climbs back
    // from the outage's small rung, one keyframe per size).
    for (const fps of r.report.timeline.fps.slice(10, 12)) expect(fps).toBeGreaterThan(5);
    for (const fps of r.report.timeline.fps.slice(12)) expect(fps).toBeGreaterThan(25);
    // The estimate did not stay at the bottom: back near half the capacity within 7 s (~985 kbps
    // today: the outage's losses come as one pooled report, and the loss-based estimate climbs
    // back at +8%/s from there).
    expect(Math.max(...est.slice(10))).toBeGreaterThan(850);
  });
});
