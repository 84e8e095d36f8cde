import { describe, expect, it } from "vitest";
import { createVideoFrame } from "../../src/media/video-frame.js";
import { Percentiles } from "../../src/metrics/percentiles.js";
import { PsnrAccumulator } from "../../src/metrics/psnr-accumulator.js";
import { psnr, psnrFromMse } from "../../src/metrics/psnr.js";
import { ssim, ssimDb, ssimPlane } from "../../src/metrics/ssim.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { InvalidOptionError } from "../../src/errors.js";

describe("psnr", () => {
  it("is Infinity for identical frames and matches 10·log10(255²/mse) otherwise", () => {
    const a = createVideoFrame(16, 16), b = createVideoFrame(16, 16);
    expect(psnr(a, b).y).toBe(Infinity);
    b.y.fill(2); // mse 4 on Y only
    const r = psnr(a, b);
    expect(r.mseY).toBe(4);
    expect(r.y).toBeCloseTo(10 * Math.log10(65025 / 4), 10);
    expect(r.u).toBe(Infinity);
    // ffmpeg's average: plane-area-weighted MSE = 4 · 256 / 384.
    expect(r.mseAverage).toBeCloseTo((4 * 256) / 384, 12);
    expect(r.average).toBeCloseTo(psnrFromMse((4 * 256) / 384), 12);
  });

  it("handles strided planes like packed ones", () => {
    const rnd = new SeededRandom(1);
    const a = createVideoFrame(20, 10), b = createVideoFrame(20, 10);
    rnd.fill(a.y); rnd.fill(a.u); rnd.fill(a.v); rnd.fill(b.y);
    const sy = 32;
    const wide = { ...b, y: new Uint8Array(sy * 10), strideY: sy };
    for (let y = 0; y < 10; y++) wide.y.set(b.y.subarray(y * 20, y * 20 + 20), y * sy);
    expect(psnr(a, wide)).toEqual(psnr(a, b));
    expect(psnr(a, wide, { wasm: false })).toEqual(psnr(a, b));
  });

  it("rejects different sizes", () => {
    expect(() => psnr(createVideoFrame(16, 16), createVideoFrame(16, 18))).toThrow(InvalidOptionError);
  });

  it("PsnrAccumulator averages MSE, not dB (one perfect frame does not make it infinite)", () => {
    const acc = new PsnrAccumulator();
    const a = createVideoFrame(16, 16), b = createVideoFrame(16, 16);
    acc.add(a, b);
    b.y.fill(4);
    acc.add(a, b);
    const s = acc.summary();
    expect(s.frames).toBe(2);
    expect(s.y).toBeCloseTo(psnrFromMse(8), 10);
    expect(s.max).toBe(Infinity);
    expect(s.min).toBeCloseTo(psnrFromMse((16 * 256) / 384), 10);
    expect(new PsnrAccumulator().summary().frames).toBe(0);
  });
});

describe("ssim", () => {
  it("is 1 for identical planes, lower for noisy ones, NaN below 8x8", () => {
    const rnd = new SeededRandom(2);
    const a = createVideoFrame(64, 64);
    rnd.fill(a.y); rnd.fill(a.u); rnd.fill(a.v);
    expect(ssim(a, a)).toEqual({ y: 1, u: 1, v: 1, all: 1 });
    const b = createVideoFrame(64, 64);
    b.y.set(a.y); b.u.set(a.u); b.v.set(a.v);
    for (let i = 0; i < b.y.length; i++) b.y[i] = Math.max(0, Math.min(255, b.y[i]! + rnd.int(-20, 20)));
    const r = ssim(a, b);
    expect(r.y).toBeLessThan(1);
    expect(r.y).toBeGreaterThan(0.5);
    expect(r.u).toBe(1);
    expect(ssimPlane(a.y, 64, b.y, 64, 7, 7)).toBeNaN();
    expect(ssimDb(0.99)).toBeCloseTo(20, 10);
  });
});

describe("Percentiles", () => {
  it("matches numpy's linear percentiles", () => {
    const p = new Percentiles();
    for (const v of [15, 20, 35, 40, 50]) p.add(v);
    expect(p.percentile(50)).toBe(35);
    expect(p.percentile(40)).toBeCloseTo(29, 10);
    expect(p.percentile(95)).toBeCloseTo(48, 10);
    expect(p.summary()).toMatchObject({ count: 5, mean: 32, min: 15, max: 50 });
  });

  it("handles unsorted input, NaN and empty sets", () => {
    const p = new Percentiles();
    expect(p.summary().p50).toBeNaN();
    for (let i = 100; i >= 1; i--) p.add(i);
    p.add(NaN);
    expect(p.count).toBe(100);
    expect(p.percentile(99)).toBeCloseTo(99.01, 10);
    expect(p.percentile(0)).toBe(1);
    p.add(1000);
    expect(p.max).toBe(1000);
    p.reset();
    expect(p.count).toBe(0);
  });
});
