import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { scaleVideoFrame } from "../../src/media/scale-video-frame.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { psnr } from "../../src/metrics/psnr.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { WasmKernels, type KernelsBuild } from "../../src/wasm/kernels.js";
import { downscale3of4Ts, downscaleBilinearTs } from "../../src/wasm/reference-kernels.js";

const builds: KernelsBuild[] = ["release", "debug"];

/** An independent oracle: the area weights written out as a 3x4 matrix per axis. */
function oracle(src: Uint8Array, w: number, h: number, stride: number): Uint8Array {
  const W = [
    [3, 1, 0, 0],
    [0, 2, 2, 0],
    [0, 0, 1, 3],
  ];
  const dw = (w * 3) >> 2;
  const out = new Uint8Array(dw * ((h * 3) >> 2));
  for (let oy = 0; oy < (h * 3) >> 2; oy++) {
    for (let ox = 0; ox < dw; ox++) {
      let sum = 0;
      for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) sum += W[oy % 3]![j]! * W[ox % 3]![i]! * src[(4 * Math.floor(oy / 3) + j) * stride + 4 * Math.floor(ox / 3) + i]!;
      out[oy * dw + ox] = (sum + 8) >> 4;
    }
  }
  return out;
}

describe("downscale3of4Ts (the reference) vs the weight-matrix oracle", () => {
  it("agrees on random planes", () => {
    const rnd = new SeededRandom(43);
    for (let t = 0; t < 50; t++) {
      const w = 4 * rnd.int(1, 20), h = 4 * rnd.int(1, 10), stride = w + rnd.int(0, 7);
      const src = rnd.fill(new Uint8Array(stride * h));
      const got = new Uint8Array(((w * 3) >> 2) * ((h * 3) >> 2));
      downscale3of4Ts(src, w, h, stride, got, (w * 3) >> 2);
      expect(got).toEqual(oracle(src, w, h, stride));
    }
  });
});

describe.each(builds)("downscale3of4 (%s build) vs the TypeScript reference", (build) => {
  const k = WasmKernels.get(build);

  it("is bit-exact on random planes, sizes (multiples of 4) and strides", () => {
    const rnd = new SeededRandom(34);
    for (let t = 0; t < 200; t++) {
      const w = 4 * rnd.int(1, 40), h = 4 * rnd.int(1, 20), stride = w + rnd.int(0, 13);
      const src = rnd.fill(new Uint8Array(stride * h));
      const want = new Uint8Array(((w * 3) >> 2) * ((h * 3) >> 2));
      downscale3of4Ts(src, w, h, stride, want, (w * 3) >> 2);
      expect(k.downscale3of4(src, w, h, stride)).toEqual(want);
    }
  });

  it("keeps a flat plane flat and the extremes exact (0 and 255 stay 0 and 255)", () => {
    for (const v of [0, 77, 255]) expect(k.downscale3of4(new Uint8Array(64 * 48).fill(v), 64, 48).every((x) => x === v)).toBe(true);
  });

  it("rejects sizes that are not multiples of 4", () => {
    expect(() => k.downscale3of4(new Uint8Array(30 * 8), 30, 8)).toThrow(InvalidOptionError);
  });
});

describe("downscale3of4: what it computes", () => {
  it("a 4x4 block gives the area-weighted means (hand-computed)", () => {
    // Columns 0, 16, 32, 48 in every row: horizontally (3·0+16)/4 = 4, (2·16+2·32)/4 = 24, (32+3·48)/4 = 44.
    const src = new Uint8Array(16);
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) src[y * 4 + x] = 16 * x;
    const out = new Uint8Array(9);
    downscale3of4Ts(src, 4, 4, 4, out, 3);
    expect(Array.from(out)).toEqual([4, 24, 44, 4, 24, 44, 4, 24, 44]);
  });

  it("aliases less than bilinear: a 1-pixel checkerboard keeps at most a quarter of its contrast (bilinear ~45%)", () => {
    const w = 64, h = 48;
    const src = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) src[y * w + x] = (x + y) % 2 === 0 ? 255 : 0;
    const area = new Uint8Array(48 * 36);
    downscale3of4Ts(src, w, h, w, area, 48);
    const bilinear = new Uint8Array(48 * 36);
    downscaleBilinearTs(src, w, h, w, bilinear, 48, 36, 48);
    const spread = (a: Uint8Array) => Math.max(...a) - Math.min(...a);
    // Area: corners (9·255 + 255) / 16 = 159, centres 127.5: a spread of ≤ 64 of 255.
    expect(spread(area)).toBeLessThanOrEqual(64);
    expect(spread(bilinear)).toBeGreaterThanOrEqual(100);
  });

  it("scaleVideoFrame uses it for 640x480 → 480x360 (WASM and TS agree; close to the source content)", () => {
    const f = new TestPatternSource({ width: 640, height: 480 }).frameAt(3);
    const a = scaleVideoFrame(f, 480, 360);
    const b = scaleVideoFrame(f, 480, 360, { wasm: false });
    expect(psnr(a, b).average).toBe(Infinity);
    const want = new Uint8Array(480 * 360);
    downscale3of4Ts(f.y, 640, 480, f.strideY, want, 480);
    expect(a.y).toEqual(want);
  });
});
