/**
 * Replays the loss fixtures (fixtures/loss/, docs/trace-formats.md) through a whole call on the
 * virtual clock and checks what recovery (ULPFEC, NACK/RTX, PLI, audio RED + Opus FEC, NetEQ)
 * achieves. Calls are 320x240 at 400 kbps for 15 s with 50 ms one-way delay, both directions,
 * so the suite stays fast; README.md's table has the full-size figures from `rtcpipe call`.
 * Each threshold says where it comes from: the target, or (marked "not yet the
 * target") today's figure with margin, so a regression fails.
 */
import { describe, expect, it } from "vitest";
import { runCall } from "../../src/session/call.js";
import type { CallOptions } from "../../src/session/call-options.js";

// Recovery at FIXED rates, as the loss issue specifies: adaptive bitrate off (with it on, the
// loss-based estimator lowers the video rate under 10-20% loss, which changes what is measured).
const base: CallOptions = { width: 320, height: 240, videoBitrateBps: 400_000, modelProcessingTime: false, durationS: 15, delayMs: 50, seed: 1, abr: false };
const trace = (name: string): CallOptions => ({ ...base, lossTracePath: `fixtures/loss/${name}.txt` });

describe("loss fixtures replayed through a call", () => {
  it("random 5%: everything recovered, audio barely concealed", async () => {
    const r = await runCall(trace("random-5"));
    expect(r.video!.packets.lostOnWirePct).toBeGreaterThan(3);
    expect(r.video!.packets.lostAfterRecoveryPct).toBeLessThan(0.5);
    expect(r.audio!.concealedPct).toBeLessThan(2);
  });

  it("random 10%: residual media loss < 0.5% and concealed audio < 2% (the issue's targets)", async () => {
    const r = await runCall(trace("random-10"));
    const v = r.video!;
    expect(v.packets.lostOnWirePct).toBeGreaterThan(8);
    expect(v.packets.lostAfterRecoveryPct).toBeLessThan(0.5);
    expect(r.audio!.concealedPct).toBeLessThan(2);
    expect(v.fpsDecoded).toBeGreaterThan(29);
    // The targets: freezes < 1% of the call (today none: a lost NACK or RTX no longer
    // costs a second round trip, both go out twice above 5% loss), p95 < 250 ms (today ~210).
    expect(v.freeze.percentOfCall).toBeLessThan(1);
    expect(v.latencyMs.p95).toBeLessThan(250);
    // The report's "Recovery" plot: per second, what RTX and FEC recovered; over the call its
    // FEC series adds up to the summary's count (the last second's drain may fall outside).
    const perSecond = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(perSecond(r.timeline.retransmittedPerS)).toBeGreaterThan(0);
    expect(perSecond(r.timeline.fecRecoveredPerS)).toBeGreaterThan(0.9 * v.recoveredByFec);
    expect(perSecond(r.timeline.fecRecoveredPerS)).toBeLessThanOrEqual(v.recoveredByFec);
  });

  it("random 20%: video keeps decoding at >= 20 fps, concealed audio < 5% (the issue's targets)", async () => {
    const r = await runCall(trace("random-20"));
    expect(r.video!.fpsDecoded).toBeGreaterThanOrEqual(20);
    expect(r.audio!.concealedPct).toBeLessThan(5);
    // Beyond the target: residual loss today ~0.1%, freezes ~6% of the call; with single-copy
    // NACK/RTX it was ~0.5% and ~10%. Bounds between the two (the figures move by a few
    // points whenever the packet sequence changes, as the trace drops by packet index).
    expect(r.video!.packets.lostAfterRecoveryPct).toBeLessThan(0.3);
    expect(r.video!.freeze.percentOfCall).toBeLessThan(8);
  });

  it("bursty 10% (mean burst 3): residual media loss under 0.5%, freezes under 2% of the call", async () => {
    const r = await runCall(trace("bursty-10-mean3"));
    // Today nothing is left lost and one 190 ms freeze (0.6%); before NACK/RTX copies: 0.16%, 4.3%.
    expect(r.video!.packets.lostAfterRecoveryPct).toBeLessThan(0.5);
    expect(r.video!.freeze.percentOfCall).toBeLessThan(2.5);
    expect(r.audio!.concealedPct).toBeLessThan(3);
  });

  it("bursty 10% (mean burst 8): no freeze longer than 400 ms (the issue's target)", async () => {
    const r = await runCall(trace("bursty-10-mean8"));
    // Today the longest is ~260 ms (210-333 ms over seeds 1-6) and no PLI: the reorder buffer
    // waits 3.2 RTT + 30 ms, time for a NACK and two retries, where 2.2 RTT gave a burst's
    // packet up, and a PLI and keyframe made it a 500-670 ms freeze.
    expect(r.video!.freeze.longestMs).toBeLessThan(400);
    expect(r.video!.freeze.percentOfCall).toBeLessThan(10);
    expect(r.video!.fpsDecoded).toBeGreaterThan(29);
  });

  it("2 s outage (5-7 s): video recovers within 1 s of the path returning, by PLI and a keyframe (the issue's target)", async () => {
    const r = await runCall(trace("outage-2s"));
    const v = r.video!;
    const outageFreeze = v.freeze.intervalsMs.filter(([start, end]) => start < 7000 && end > 5500);
    expect(outageFreeze.length).toBeGreaterThan(0); // both directions froze during the outage
    for (const [, end] of outageFreeze) expect(end).toBeLessThan(8000);
    expect(r.rtcp.pliSent).toBeGreaterThan(0);
  });

  it("jitter 0-120 ms with 5% reordering: nothing lost, audio not concealed", async () => {
    const r = await runCall({ ...base, jitterMs: 120, reorderPct: 5 });
    expect(r.video!.packets.lostAfterRecoveryPct).toBeLessThan(0.1);
    expect(r.audio!.concealedPct).toBeLessThan(2);
    // The playout follows the jitter: audio waits about its 95th percentile, not the maximum.
    expect(r.audio!.latencyMs.p50).toBeLessThan(50 + 120 + 60);
  });
});
