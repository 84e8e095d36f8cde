import { describe, expect, it } from "vitest";
import { scaleVideoFrame } from "../../src/media/scale-video-frame.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { psnr } from "../../src/metrics/psnr.js";
import { InvalidOptionError } from "../../src/errors.js";

describe("scaleVideoFrame", () => {
  const src = new TestPatternSource({ width: 640, height: 480 });
  const f = src.frameAt(5);

  it.each([[320, 240], [480, 360], [160, 120], [640, 360], [2, 2]])("WASM and TS agree bit-exactly at %ix%i", (w, h) => {
    const a = scaleVideoFrame(f, w, h);
    const b = scaleVideoFrame(f, w, h, { wasm: false });
    expect(a.width).toBe(w);
    expect(a.frameIndex).toBe(5);
    expect(psnr(a, b).average).toBe(Infinity);
  });

  it("a halving then upscaling by replication stays close to the source (sanity of the filter)", () => {
    const half = scaleVideoFrame(f, 320, 240);
    // Compare against a TS 2x2 average of the source.
    let mse = 0;
    for (let y = 0; y < 240; y++) for (let x = 0; x < 320; x++) {
      const s = f.y[2 * y * 640 + 2 * x]! + f.y[2 * y * 640 + 2 * x + 1]! + f.y[(2 * y + 1) * 640 + 2 * x]! + f.y[(2 * y + 1) * 640 + 2 * x + 1]!;
      mse += ((s + 2) >> 2) - half.y[y * 320 + x]! === 0 ? 0 : 1;
    }
    expect(mse).toBe(0);
  });

  it("returns the input for the same size and rejects upscaling", () => {
    expect(scaleVideoFrame(f, 640, 480)).toBe(f);
    expect(() => scaleVideoFrame(f, 800, 480)).toThrow(InvalidOptionError);
  });
});
