import { describe, expect, it } from "vitest";
import { CpuOveruseDetector, type CpuSignal } from "../../src/congestion/cpu-overuse-detector.js";
import { InvalidOptionError } from "../../src/errors.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

interface Verdict {
  atUs: number;
  signal: CpuSignal;
}

/** Feeds frames at `fps` from `startUs` for `durationUs`, encode time from `encodeUs(t)`; checks after each frame. */
function feed(d: CpuOveruseDetector, startUs: number, durationUs: number, fps: number, encodeUs: (t: number) => number, stopAt?: CpuSignal): Verdict[] {
  const out: Verdict[] = [];
  const step = 1e6 / fps;
  for (let t = startUs; t < startUs + durationUs; t += step) {
    const at = Math.round(t);
    d.onFrameEncoded(encodeUs(at), at);
    const s = d.check(at);
    if (s !== "normal") out.push({ atUs: at, signal: s });
    if (s === stopAt) break;
  }
  return out;
}

describe("CpuOveruseDetector (libwebrtc OveruseFrameDetector idea)", () => {
  it.each([
    { name: "30 fps, 10 ms per frame (30%)", fps: 30, encodeMs: 10, usage: 30, first: "underuse" },
    { name: "30 fps, 20 ms per frame (60%)", fps: 30, encodeMs: 20, usage: 60, first: undefined },
    { name: "30 fps, 32 ms per frame (96%)", fps: 30, encodeMs: 32, usage: 96, first: "overuse" },
    { name: "15 fps, 40 ms per frame (60%: a lower frame rate is a bigger budget)", fps: 15, encodeMs: 40, usage: 60, first: undefined },
    { name: "10 fps, 95 ms per frame (95%)", fps: 10, encodeMs: 95, usage: 95, first: "overuse" },
  ])("$name", ({ fps, encodeMs, usage, first }) => {
    const d = new CpuOveruseDetector();
    const verdicts = feed(d, 0, 30_000_000, fps, () => encodeMs * 1000);
    expect(d.usagePct).toBeCloseTo(usage, 0);
    expect(verdicts[0]?.signal).toBe(first);
    if (first === "overuse") {
      // The filter (time constant 200 x 33 ms) crosses 85% after the 5 s check; then two
      // checks in a row above it are needed: not before the check at 15 s.
      expect(verdicts[0]!.atUs).toBeGreaterThanOrEqual(15_000_000);
      expect(verdicts[0]!.atUs).toBeLessThan(15_200_000);
    }
  });

  it("smooths: one slow frame among fast ones is no overuse", () => {
    const d = new CpuOveruseDetector();
    const verdicts = feed(d, 0, 20_000_000, 30, (t) => (t % 1_000_000 < 40_000 ? 200_000 : 15_000));
    expect(verdicts.filter((v) => v.signal === "overuse")).toHaveLength(0);
  });

  it("after an overuse, waits the ramp-up delay (10 s) before allowing a step up", () => {
    const d = new CpuOveruseDetector();
    const over = feed(d, 0, 30_000_000, 30, () => 32_000, "overuse");
    expect(over.map((v) => v.signal)).toEqual(["overuse"]);
    const tOver = over[0]!.atUs;
    d.reset(); // the owner stepped down
    const after = feed(d, 15_100_000, 40_000_000, 30, () => 8_000);
    const firstUp = after.find((v) => v.signal === "underuse")!;
    expect(firstUp.atUs - tOver).toBeGreaterThanOrEqual(10_000_000);
    // Steps up at least 10 s apart.
    const ups = after.filter((v) => v.signal === "underuse");
    for (let i = 1; i < ups.length; i++) expect(ups[i]!.atUs - ups[i - 1]!.atUs).toBeGreaterThanOrEqual(10_000_000);
  });

  it("a step up followed soon by an overuse doubles the ramp-up delay (back-off, max 240 s)", () => {
    const d = new CpuOveruseDetector();
    let t = 0;
    const delays: number[] = [];
    for (let round = 0; round < 6; round++) {
      // Overload until overuse, then light load until underuse (a step up), repeatedly.
      let v = feed(d, t, 60_000_000, 30, () => 32_000, "overuse");
      t = v.find((x) => x.signal === "overuse")!.atUs + 1;
      delays.push(d.rampUpDelayUsNow);
      d.reset();
      v = feed(d, t, 600_000_000, 30, () => 8_000, "underuse");
      const up = v.find((x) => x.signal === "underuse")!;
      expect(up.atUs - t).toBeGreaterThanOrEqual(d.rampUpDelayUsNow - 1);
      t = up.atUs + 1;
      d.reset();
    }
    expect(delays).toEqual([10_000_000, 20_000_000, 40_000_000, 80_000_000, 160_000_000, 240_000_000]);
  });

  it("a step up that held for longer than 40 s resets the delay to 10 s", () => {
    const d = new CpuOveruseDetector();
    const until = (t: number, signal: CpuSignal, encodeUs: number): number => feed(d, t, 600_000_000, 30, () => encodeUs, signal).find((v) => v.signal === signal)!.atUs + 1;
    let t = until(0, "overuse", 32_000);
    t = until(t, "underuse", 8_000); // step up
    t = until(t, "overuse", 32_000); // fails within 40 s
    expect(d.rampUpDelayUsNow).toBe(20_000_000);
    t = until(t, "underuse", 8_000);
    const held = feed(d, t, 50_000_000, 30, () => 20_000); // holds for 50 s at 60%
    expect(held).toHaveLength(0);
    until(t + 50_000_000, "overuse", 32_000);
    expect(d.rampUpDelayUsNow).toBe(10_000_000);
  });

  it("needs 3 frames after a reset; ignores pauses longer than 1 s and drops bad samples", () => {
    const d = new CpuOveruseDetector({ checkIntervalUs: 100_000 });
    d.onFrameEncoded(30_000, 0);
    d.onFrameEncoded(30_000, 33_333);
    expect(d.check(200_000)).toBe("normal");
    d.onFrameEncoded(Number.NaN, 66_666);
    d.onFrameEncoded(-5, 66_666);
    d.onFrameEncoded(5_000, Number.POSITIVE_INFINITY);
    expect(d.stats()["badSamples"]).toBe(3);
    const before = d.usagePct;
    expect(before).toBeGreaterThan(42);
    d.onFrameEncoded(30_000, 5_000_000); // after a pause: not a 5 s frame interval
    expect(d.usagePct).toBe(before);
    d.onFrameEncoded(30_000, 5_033_333);
    expect(d.usagePct).toBeGreaterThan(before); // a 90% frame moves it up
  });

  it("noisy encode times around 60% never signal", () => {
    const rng = new SeededRandom(85);
    const d = new CpuOveruseDetector();
    const v = feed(d, 0, 120_000_000, 30, () => 20_000 * (0.5 + rng.next()));
    expect(v.filter((x) => x.signal === "overuse")).toHaveLength(0);
    expect(v.filter((x) => x.signal === "underuse")).toHaveLength(0);
  });

  it.each([{ highUsagePct: 0 }, { lowUsagePct: 90 }, { overuseChecks: 0 }, { checkIntervalUs: 5 }])("rejects %o", (o) => {
    expect(() => new CpuOveruseDetector(o)).toThrow(InvalidOptionError);
  });
});
