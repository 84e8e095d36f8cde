import { describe, expect, it } from "vitest";
import { WasmKernels, type KernelsBuild } from "../../src/wasm/kernels.js";
import { downscaleBilinearTs, downscaleBox2xTs, sumSquaredErrorTs } from "../../src/wasm/reference-kernels.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { InvalidOptionError } from "../../src/errors.js";

const builds: KernelsBuild[] = ["release", "debug"];

describe.each(builds)("WASM kernels (%s build) vs TypeScript reference", (build) => {
  const k = WasmKernels.get(build);

  it("loads once per build", () => {
    expect(WasmKernels.get(build)).toBe(k);
    expect(k.build).toBe(build);
  });

  it("sumSquaredError matches on random inputs of every length 0..300 and large ones", () => {
    const rnd = new SeededRandom(1);
    const lens = [...Array.from({ length: 301 }, (_, i) => i), 640 * 480, 1920 * 1080 + 7];
    for (const len of lens) {
      const a = rnd.fill(new Uint8Array(len));
      const b = rnd.fill(new Uint8Array(len));
      expect(k.sumSquaredError(a, b)).toBe(sumSquaredErrorTs(a, b));
    }
  });

  it("sumSquaredError handles the extremes (all 0 vs all 255)", () => {
    const a = new Uint8Array(4096 * 2160);
    const b = new Uint8Array(a.length).fill(255);
    expect(k.sumSquaredError(a, b)).toBe(a.length * 255 * 255);
  });

  it("sumSquaredErrorPlane packs strided planes", () => {
    const rnd = new SeededRandom(2);
    const w = 37, h = 11, sa = 48, sb = 40;
    const a = rnd.fill(new Uint8Array(sa * h));
    const b = rnd.fill(new Uint8Array(sb * h));
    let want = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) want += (a[y * sa + x]! - b[y * sb + x]!) ** 2;
    expect(k.sumSquaredErrorPlane(a, sa, b, sb, w, h)).toBe(want);
  });

  it("downscaleBox2x is bit-exact on random sizes and strides", () => {
    const rnd = new SeededRandom(3);
    for (let t = 0; t < 200; t++) {
      const w = rnd.int(2, 120), h = rnd.int(2, 60), stride = w + rnd.int(0, 20);
      const src = rnd.fill(new Uint8Array(stride * h));
      const want = new Uint8Array((w >> 1) * (h >> 1));
      downscaleBox2xTs(src, stride, want, w >> 1, w >> 1, h >> 1);
      expect(k.downscaleBox2x(src, w, h, stride)).toEqual(want);
    }
  });

  it("downscaleBilinear is bit-exact on random sizes and ratios", () => {
    const rnd = new SeededRandom(4);
    for (let t = 0; t < 200; t++) {
      const w = rnd.int(1, 100), h = rnd.int(1, 60), stride = w + rnd.int(0, 9);
      const dw = rnd.int(1, w), dh = rnd.int(1, h);
      const src = rnd.fill(new Uint8Array(stride * h));
      const want = new Uint8Array(dw * dh);
      downscaleBilinearTs(src, w, h, stride, want, dw, dh, dw);
      expect(k.downscaleBilinear(src, w, h, stride, dw, dh)).toEqual(want);
    }
  });

  it("bilinear at ratio 1 is the identity and box2x of a flat plane is flat", () => {
    const rnd = new SeededRandom(5);
    const src = rnd.fill(new Uint8Array(64 * 48));
    expect(k.downscaleBilinear(src, 64, 48, 64, 64, 48)).toEqual(src);
    expect(k.downscaleBox2x(new Uint8Array(64 * 48).fill(77), 64, 48).every((v) => v === 77)).toBe(true);
  });

  it("grows memory on demand and keeps working after growth", () => {
    const before = k.memoryBytes;
    const n = before + 1_000_000;
    const a = new Uint8Array(n).fill(3);
    const b = new Uint8Array(n).fill(1);
    expect(k.sumSquaredError(a, b)).toBe(4 * n);
    expect(k.memoryBytes).toBeGreaterThan(before);
    expect(k.sumSquaredError(new Uint8Array([1, 2]), new Uint8Array([2, 4]))).toBe(5);
  });

  it("rejects mismatched lengths and short planes", () => {
    expect(() => k.sumSquaredError(new Uint8Array(3), new Uint8Array(4))).toThrow(InvalidOptionError);
    expect(() => k.downscaleBox2x(new Uint8Array(10), 8, 8)).toThrow(InvalidOptionError);
  });
});
