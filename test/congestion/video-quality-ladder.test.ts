import { describe, expect, it } from "vitest";
import { VideoQualityLadder, type VideoQualityDecision } from "../../src/congestion/video-quality-ladder.js";
import { InvalidOptionError } from "../../src/errors.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const vga = (o: Partial<ConstructorParameters<typeof VideoQualityLadder>[0]> = {}) => new VideoQualityLadder({ captureWidth: 640, captureHeight: 480, ...o });
const label = (d: { width: number; height: number; fps: number; paused?: boolean }) => (d.paused ? "paused" : `${d.width}x${d.height}@${d.fps}`);

/** Feeds a constant bitrate every 100 ms for `durationUs`; returns the last decision. */
function hold(l: VideoQualityLadder, bitrateBps: number, fromUs: number, durationUs: number): VideoQualityDecision {
  let d: VideoQualityDecision | undefined;
  for (let t = fromUs; t <= fromUs + durationUs; t += 100_000) d = l.update(bitrateBps, t);
  return d!;
}

describe("VideoQualityLadder: the ladder", () => {
  it("640x480@30 gives 640x480 → 480x360 → 320x240 → 160x120, minima strictly falling", () => {
    const l = vga();
    expect(l.states.map(label)).toEqual([
      "640x480@30", "640x480@20",
      "480x360@30", "480x360@20",
      "320x240@30", "320x240@20", "320x240@15",
      "160x120@30", "160x120@20", "160x120@15", "160x120@10",
    ]);
    for (let i = 1; i < l.states.length; i++) expect(l.states[i]!.minBitrateBps).toBeLessThan(l.states[i - 1]!.minBitrateBps);
    // bpp = 0.05 x (307200 / pixels)^0.25: 640x480@30 ≥ 460.8 kbps, 160x120@10 ≥ 19.2 kbps.
    expect(l.states[0]!.minBitrateBps).toBe(460_800);
    expect(l.states.at(-1)!.minBitrateBps).toBe(19_200);
    expect(l.pauseBelowBps).toBe(19_200);
  });

  it.each([
    { w: 1280, h: 720, top: "1280x720@30", bottom: "320x180" },
    { w: 1920, h: 1080, top: "1920x1080@30", bottom: "480x270" },
    { w: 642, h: 362, top: "642x362@30", bottom: "160x90" },
  ])("derives from $w x $h: even dimensions, aspect kept", ({ w, h, top, bottom }) => {
    const l = new VideoQualityLadder({ captureWidth: w, captureHeight: h });
    expect(label(l.states[0]!)).toBe(top);
    expect(`${l.states.at(-1)!.width}x${l.states.at(-1)!.height}`).toBe(bottom);
    for (const s of l.states) {
      expect(s.width % 2).toBe(0);
      expect(s.height % 2).toBe(0);
      expect(Math.abs(s.width / s.height - w / h)).toBeLessThan(0.03);
    }
  });
});

describe("VideoQualityLadder: bitrate first, then frame rate, then resolution", () => {
  it.each([
    { bitrateBps: 1_500_000, expected: "640x480@30" },
    { bitrateBps: 350_000, expected: "640x480@20" },
    { bitrateBps: 250_000, expected: "480x360@20" },
    { bitrateBps: 120_000, expected: "320x240@20" },
    { bitrateBps: 90_000, expected: "320x240@15" },
    { bitrateBps: 70_000, expected: "160x120@30" },
    { bitrateBps: 40_000, expected: "160x120@20" },
    { bitrateBps: 25_000, expected: "160x120@10" },
    { bitrateBps: 15_000, expected: "paused" },
  ])("$bitrateBps bps settles at $expected", ({ bitrateBps, expected }) => {
    const l = vga();
    const d = hold(l, bitrateBps, 0, 2_000_000);
    expect(label(d)).toBe(expected);
    expect(d.bitrateBps).toBe(expected === "paused" ? 0 : bitrateBps);
  });

  it("the first decision starts where the bitrate fits, not at the top rung (no first keyframe at 640x480 for a 120 kbps path)", () => {
    expect(label(vga().update(120_000, 0))).toBe("320x240@20");
    expect(label(vga().update(1_000_000, 0))).toBe("640x480@30");
  });

  it("a falling bitrate reaches 160x120 between 60 and 100 kbps", () => {
    const l = vga();
    let at = NaN;
    for (let k = 0; k < 2_000; k++) {
      const bitrate = 1_000_000 * Math.pow(0.998, k); // −2% per second at 10 updates/s
      const d = l.update(bitrate, k * 100_000);
      if (d.width === 160) {
        at = bitrate;
        break;
      }
    }
    expect(at).toBeGreaterThan(60_000);
    expect(at).toBeLessThan(100_000);
  });

  it("the bitrate follows at once; the resolution waits for the down hold (500 ms) unless the drop is severe", () => {
    const l = vga();
    hold(l, 600_000, 0, 1_000_000);
    let d = l.update(440_000, 1_100_000); // just below 640x480@30's minimum
    expect(label(d)).toBe("640x480@30");
    expect(d.bitrateBps).toBe(440_000);
    d = hold(l, 440_000, 1_200_000, 300_000);
    expect(label(d)).toBe("640x480@30");
    d = l.update(440_000, 1_600_000);
    expect(label(d)).toBe("640x480@20");
    // 1 Mbps → 200 kbps: far below the minimum; the frame rate drops at once as far as
    // 640x480 goes, and the resolution jumps straight to the fit after the hold (one keyframe).
    hold(l, 1_000_000, 2_000_000, 5_000_000);
    d = l.update(200_000, 7_200_000);
    expect(label(d)).toBe("640x480@20");
    expect(d.changed).toBe(true);
    d = hold(l, 200_000, 7_300_000, 300_000);
    expect(label(d)).toBe("640x480@20");
    d = l.update(200_000, 7_700_000);
    expect(label(d)).toBe("480x360@20");
    // A rate falling through several rungs within the hold costs one size change, not one per
    // rung (the frame rate drops first, and that step starts the hold the jump below waits for).
    const m = vga();
    hold(m, 1_000_000, 0, 4_000_000);
    const sizes = new Set<string>();
    for (let t = 4_000_000, r = 1_000_000; t < 6_000_000; t += 25_000, r = Math.max(70_000, r * 0.93)) {
      const x = m.update(r, t);
      sizes.add(`${x.width}x${x.height}`);
    }
    expect([...sizes]).toEqual(["640x480", "160x120"]);
  });

  it("a bitrate under half of what the current resolution needs at its lowest frame rate jumps at once (no hold) to the state that fits half of it", () => {
    const l = vga();
    hold(l, 1_000_000, 0, 3_000_000);
    const lowestVga = l.states.filter((s) => s.width === 640).at(-1)!.minBitrateBps;
    // Just above half: the frame rate drops, the resolution waits for the hold.
    let d = l.update(0.55 * lowestVga, 3_100_000);
    expect(d.width).toBe(640);
    // ... but once the rate goes under half, the size follows at once, although the frame
    // rate step just started a hold (a rate falling this fast is a slower path, not noise).
    d = l.update(0.45 * lowestVga, 3_125_000);
    expect(d.width).toBeLessThan(640);
    // Under half (a capacity drop to 1/3): straight to the state that fits half the bitrate
    // (a collapsing rate may fall further; a second size change is a second keyframe).
    const m = vga();
    hold(m, 1_000_000, 0, 3_000_000);
    d = m.update(120_000, 3_100_000);
    const fit = m.states.find((s) => s.minBitrateBps <= 60_000)!;
    expect(label(d)).toBe(label(fit));
    expect(d.width).toBe(160);
    expect(d.bitrateBps).toBe(120_000);

    // With the factor at 0 the hold applies as before.
    const n = vga({ collapseFactor: 0 });
    hold(n, 1_000_000, 0, 3_000_000);
    expect(n.update(120_000, 3_100_000).width).toBe(640);
    expect(() => vga({ collapseFactor: 2 })).toThrow(InvalidOptionError);
  });

  it("urgent (the caller knows the path got much slower): the size follows at once, to the state that fits half the rate, once per hold", () => {
    const l = vga();
    hold(l, 1_000_000, 0, 3_000_000);
    // 250 kbps is not under half of 640x480's lowest minimum: without `urgent` only the frame rate drops.
    expect(l.update(250_000, 3_100_000).width).toBe(640);
    const m = vga();
    hold(m, 1_000_000, 0, 3_000_000);
    let d = m.update(250_000, 3_100_000, "normal", true);
    expect(label(d)).toBe(label(m.states.find((s) => s.minBitrateBps <= 125_000)!));
    expect(d.bitrateBps).toBe(250_000);
    // Lower still within the hold: no second size change (a second keyframe), only the frame rate.
    d = m.update(70_000, 3_200_000, "normal", true);
    expect(d.width).toBe(320);
    d = m.update(70_000, 3_700_000, "normal", true);
    expect(d.width).toBe(160);
  });

  it("a starved encoder (qpHigh) keeps the size: the rate may raise the frame rate, not the resolution", () => {
    const l = vga();
    hold(l, 100_000, 0, 1_000_000);
    expect(label(l.update(100_000, 1_100_000))).toBe("320x240@15");
    // 1 Mbps for 5 s, with the encoder at a high Q: 320x240 at its full frame rate, no larger.
    let d: VideoQualityDecision | undefined;
    for (let t = 1_200_000; t <= 6_200_000; t += 100_000) d = l.update(1_000_000, t, "normal", false, true);
    expect(label(d!)).toBe("320x240@30");
    // Q comes down: up to the top after the hold.
    for (let t = 6_300_000; t <= 9_400_000; t += 100_000) d = l.update(1_000_000, t, "normal", false, false);
    expect(label(d!)).toBe("640x480@30");
  });

  it("steps up only after 3 s above 1.3 x the higher minimum, and 3 s after a step down", () => {
    const l = vga();
    hold(l, 100_000, 0, 1_000_000);
    expect(label(l.update(100_000, 1_100_000))).toBe("320x240@15");
    // 1.2 x 320x240@20's 108.6 kbps minimum: not enough to step up, ever.
    expect(label(hold(l, 130_000, 1_200_000, 10_000_000))).toBe("320x240@15");
    // 1 Mbps: up after 3 s, straight to the top.
    const t0 = 11_400_000;
    let d = hold(l, 1_000_000, t0, 2_900_000);
    expect(label(d)).toBe("320x240@15");
    d = hold(l, 1_000_000, t0 + 3_000_000, 0);
    expect(label(d)).toBe("640x480@30");
  });
});

describe("VideoQualityLadder: pause and resume", () => {
  it("pauses at once when the bitrate goes to 0 and resumes 1 s after it is back (not 3 s)", () => {
    const l = vga();
    hold(l, 300_000, 0, 1_000_000);
    expect(label(l.update(0, 1_100_000))).toBe("paused");
    hold(l, 0, 1_200_000, 2_000_000); // a 2 s outage
    let d = hold(l, 300_000, 3_300_000, 900_000);
    expect(d.paused).toBe(true);
    d = l.update(300_000, 4_300_000);
    expect(d.paused).toBe(false);
    expect(label(d)).toBe("480x360@20");
    expect(d.bitrateBps).toBe(300_000);
  });
});

describe("VideoQualityLadder: no oscillation on a noisy bitrate", () => {
  // A seeded noisy estimate: a random walk of ±25% around the mean, updated every 100 ms.
  function noisy(mean: number, seed: number, n: number): number[] {
    const rng = new SeededRandom(seed);
    const out: number[] = [];
    let x = 0;
    for (let i = 0; i < n; i++) {
      x = 0.7 * x + 0.3 * (rng.next() * 2 - 1);
      out.push(mean * (1 + 0.25 * x + 0.1 * (rng.next() * 2 - 1)));
    }
    return out;
  }

  it.each([
    // Means on a threshold (the hardest case) and between thresholds.
    { mean: 460_800, seed: 1 },
    { mean: 300_000, seed: 2 },
    { mean: 163_000, seed: 3 },
    { mean: 81_000, seed: 4 },
    { mean: 60_000, seed: 5 },
    { mean: 25_000, seed: 6 },
    { mean: 20_000, seed: 7 },
  ])("mean $mean bps: at most 2 switches in 60 s (a ladder without hysteresis switches 10+ times)", ({ mean, seed }) => {
    const series = noisy(mean, seed, 600);
    const ours = vga();
    const naive = vga({ upFactor: 1, downHoldUs: 0, upHoldUs: 0, severeDownFactor: 0 });
    series.forEach((b, i) => {
      ours.update(b, i * 100_000);
      naive.update(b, i * 100_000);
    });
    // The first decision is not a switch; settling from the top counts.
    expect(ours.stats()["switches"]).toBeLessThanOrEqual(2);
    expect(naive.stats()["switches"]).toBeGreaterThanOrEqual(10);
  });
});

describe("VideoQualityLadder: CPU", () => {
  it("overuse steps one state down whatever the bitrate, underuse lifts the cap by one", () => {
    const l = vga();
    hold(l, 2_000_000, 0, 1_000_000);
    let d = l.update(2_000_000, 1_100_000, "overuse");
    expect(label(d)).toBe("640x480@20");
    expect(d.cpuLimited).toBe(true);
    d = l.update(2_000_000, 1_200_000, "overuse");
    expect(label(d)).toBe("480x360@30");
    d = hold(l, 2_000_000, 1_300_000, 20_000_000);
    expect(label(d)).toBe("480x360@30"); // the bitrate alone does not lift a CPU cap
    d = l.update(2_000_000, 21_400_000, "underuse");
    expect(label(d)).toBe("640x480@20");
    d = l.update(2_000_000, 21_500_000, "underuse");
    expect(label(d)).toBe("640x480@30");
    expect(d.cpuLimited).toBe(false);
  });

  it("under a CPU cap a lower bitrate still steps down; the cap never pauses video", () => {
    const l = vga();
    hold(l, 2_000_000, 0, 500_000);
    for (let i = 0; i < 20; i++) l.update(2_000_000, 600_000 + i, "overuse");
    expect(label(l.update(2_000_000, 700_000))).toBe("160x120@10");
    expect(label(hold(l, 10_000, 800_000, 1_000_000))).toBe("paused");
  });
});

describe("VideoQualityLadder: frame decimation", () => {
  it.each([
    { bitrateBps: 1_000_000, fps: 30 },
    { bitrateBps: 350_000, fps: 20 },
    { bitrateBps: 90_000, fps: 15 },
    { bitrateBps: 25_000, fps: 10 },
    { bitrateBps: 10_000, fps: 0 },
  ])("at $bitrateBps bps, $fps of 30 captured frames per second are encoded", ({ bitrateBps, fps }) => {
    const l = vga();
    hold(l, bitrateBps, 0, 2_000_000);
    let taken = 0;
    for (let f = 0; f < 300; f++) if (l.takeFrame(3_000_000 + (f * 1e6) / 30)) taken++;
    expect(Math.abs(taken - fps * 10)).toBeLessThanOrEqual(1);
  });
});

describe("VideoQualityLadder: options", () => {
  it.each([
    { captureWidth: 0, captureHeight: 480 },
    { captureWidth: 640, captureHeight: 480, scales: [0.5, 0.25] },
    { captureWidth: 640, captureHeight: 480, scales: [1, 0.5, 0.5] },
    { captureWidth: 640, captureHeight: 480, fpsFactors: [] },
    { captureWidth: 640, captureHeight: 480, upFactor: 0.5 },
    { captureWidth: 640, captureHeight: 480, minFps: 60 },
  ])("rejects %o", (o) => {
    expect(() => new VideoQualityLadder(o)).toThrow(InvalidOptionError);
  });

  it("a noisy or absurd bitrate input (NaN, negative) counts as 0", () => {
    const l = vga();
    expect(label(hold(l, Number.NaN, 0, 1_000_000))).toBe("paused");
    expect(label(hold(vga(), -5, 0, 1_000_000))).toBe("paused");
  });
});
