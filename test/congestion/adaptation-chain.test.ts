/**
 * The adaptation units composed the way the session will wire them: the network target goes
 * through BitrateAllocator, its video share through VideoQualityLadder, which takes the
 * CpuOveruseDetector's verdicts; frames are decimated by the ladder. No estimator here: the
 * target is given, so these tests check the adaptation, not the estimation.
 */
import { describe, expect, it } from "vitest";
import { BitrateAllocator, type BitrateAllocation } from "../../src/congestion/bitrate-allocator.js";
import { CpuOveruseDetector } from "../../src/congestion/cpu-overuse-detector.js";
import { VideoQualityLadder, type VideoQualityDecision } from "../../src/congestion/video-quality-ladder.js";

interface Step {
  atUs: number;
  alloc: BitrateAllocation;
  video: VideoQualityDecision;
}

function run(targetAt: (tUs: number) => number, durationUs: number, lossFraction = 0, rttMs = 50): Step[] {
  const allocator = new BitrateAllocator();
  const ladder = new VideoQualityLadder({ captureWidth: 640, captureHeight: 480 });
  const out: Step[] = [];
  for (let t = 0; t <= durationUs; t += 100_000) {
    const alloc = allocator.allocate({ targetRateBps: targetAt(t), lossFraction, rttMs });
    out.push({ atUs: t, alloc, video: ladder.update(alloc.videoBitrateBps, t) });
  }
  return out;
}

const label = (d: VideoQualityDecision) => (d.paused ? "paused" : `${d.width}x${d.height}@${d.fps}`);

describe("Adaptation chain: allocator → ladder", () => {
  it("1 Mbps → 200 kbps → 1 Mbps: the encoder fits the new rate within 1 s, comes back within 5 s, never pauses", () => {
    const ladder = new VideoQualityLadder({ captureWidth: 640, captureHeight: 480 });
    const steps = run((t) => (t >= 10_000_000 && t < 20_000_000 ? 200_000 : 1_000_000), 30_000_000);
    expect(label(steps.find((s) => s.atUs === 9_900_000)!.video)).toBe("640x480@30");
    const minOf = (d: VideoQualityDecision) => ladder.states[d.stateIndex]!.minBitrateBps;
    // The bitrate drops at once, the state within 1 s.
    const at = steps.find((s) => s.atUs === 10_000_000)!;
    expect(at.alloc.totalBps).toBeLessThanOrEqual(200_000);
    expect(at.video.bitrateBps).toBe(at.alloc.videoBitrateBps);
    const fitted = steps.find((s) => s.atUs >= 10_000_000 && minOf(s.video) <= s.video.bitrateBps)!;
    expect(fitted.atUs - 10_000_000).toBeLessThanOrEqual(1_000_000);
    expect(steps.every((s) => !s.video.paused)).toBe(true);
    const back = steps.find((s) => s.atUs >= 20_000_000 && label(s.video) === "640x480@30")!;
    expect(back.atUs - 20_000_000).toBeLessThanOrEqual(5_000_000);
    // Two switches down at most (a hold, then the fit) and one back up.
    let switches = 0;
    for (let i = 1; i < steps.length; i++) if (label(steps[i]!.video) !== label(steps[i - 1]!.video)) switches++;
    expect(switches).toBeLessThanOrEqual(3);
  });

  it("150 kbps, 3% loss, 200 ms RTT (the 3G-like trace): video ≥ 10 fps at 160x120 or better, audio with in-band FEC", () => {
    const steps = run(() => 150_000, 10_000_000, 0.03, 200);
    const last = steps.at(-1)!;
    expect(last.video.paused).toBe(false);
    expect(last.video.fps).toBeGreaterThanOrEqual(10);
    expect(last.video.width).toBeGreaterThanOrEqual(160);
    expect(last.alloc.audioInbandFec).toBe(true);
    expect(last.alloc.audioBitrateBps).toBeGreaterThan(16_000 * (1.25 - 0.03));
    expect(last.alloc.fecRateBps).toBeGreaterThan(0); // NACK cannot help at 200 ms RTT within 150 ms
    expect(last.alloc.totalBps).toBeLessThanOrEqual(150_000);
  });

  it("40 kbps: video pauses, audio carries the call at up to 28 kbps", () => {
    const last = run(() => 40_000, 3_000_000).at(-1)!;
    expect(last.video.paused).toBe(true);
    expect(last.video.bitrateBps).toBe(0);
    expect(last.alloc.audioBitrateBps).toBe(28_000);
    expect(last.alloc.totalBps).toBeLessThanOrEqual(40_000);
  });
});

describe("Adaptation chain: a slow phone (CPU)", () => {
  it("encode time ∝ pixels (160 ns per pixel): settles at 480x360@30 and stays there", () => {
    const ladder = new VideoQualityLadder({ captureWidth: 640, captureHeight: 480 });
    const cpu = new CpuOveruseDetector();
    let decision = ladder.update(2_000_000, 0);
    const labels: string[] = [];
    for (let f = 0; f < 30 * 180; f++) {
      const t = Math.round((f * 1e6) / 30);
      if (ladder.takeFrame(t)) {
        const encodeUs = decision.width * decision.height * 0.16; // 640x480: 49 ms, 480x360: 28 ms
        cpu.onFrameEncoded(encodeUs, t);
      }
      decision = ladder.update(2_000_000, t, cpu.check(t));
      if (decision.changed) {
        cpu.reset();
        labels.push(label(decision));
      }
    }
    // 640x480@30 is 147% of the budget, @20 still ~89% (2 of 3 frames: the time-weighted
    // filter sees intervals of 33 and 67 ms as ~55 ms); 480x360@30 is 83%: no overuse, and
    // not the < 42% a step up needs, so no oscillation.
    expect(labels).toEqual(["640x480@20", "480x360@30"]);
    expect(cpu.stats()["overuses"]).toBe(2);
    expect(decision.cpuLimited).toBe(true);
  });
});
