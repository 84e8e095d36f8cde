import { describe, expect, it } from "vitest";
import { WasmKernels, type KernelsBuild } from "../../src/wasm/kernels.js";
import { xorIntoTs, xorPacketsTs } from "../../src/wasm/reference-kernels.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { InvalidOptionError } from "../../src/errors.js";

const builds: KernelsBuild[] = ["release", "debug"];

describe.each(builds)("XOR kernel (%s build) vs TypeScript reference (RFC 5109 6.2 protection operation)", (build) => {
  const k = WasmKernels.get(build);

  it("xorInto matches on random inputs of every length 0..300 and large ones", () => {
    const rnd = new SeededRandom(11);
    for (const len of [...Array.from({ length: 301 }, (_, i) => i), 1200, 1500, 65536 + 3, 262147]) {
      const a = rnd.fill(new Uint8Array(len + rnd.int(0, 5)));
      const b = rnd.fill(new Uint8Array(len));
      expect(k.xorInto(a.slice(), b)).toEqual(xorIntoTs(a.slice(), b));
    }
  });

  it("xorInto works on unaligned views and leaves bytes past src alone", () => {
    const rnd = new SeededRandom(12);
    const big = rnd.fill(new Uint8Array(2000));
    const dst = big.subarray(3, 1203);
    const src = rnd.fill(new Uint8Array(1000)).subarray(1);
    const want = xorIntoTs(dst.slice(), src);
    k.xorInto(dst, src);
    expect(dst).toEqual(want);
  });

  it("xorPackets matches on random packet sets (zero-padded to the longest, cut at outLen)", () => {
    const rnd = new SeededRandom(13);
    for (let t = 0; t < 300; t++) {
      const count = rnd.int(0, 48);
      const srcs = Array.from({ length: count }, () => rnd.fill(new Uint8Array(rnd.int(0, 1500))));
      const outLen = rnd.int(0, 1600);
      expect(k.xorPackets(srcs, outLen)).toEqual(xorPacketsTs(srcs, outLen));
    }
  });

  it("XOR of a set with its parity is zero (self-inverse)", () => {
    const rnd = new SeededRandom(14);
    const srcs = Array.from({ length: 5 }, () => rnd.fill(new Uint8Array(1200)));
    const parity = k.xorPackets(srcs, 1200);
    expect(k.xorPackets([...srcs, parity], 1200).every((b) => b === 0)).toBe(true);
  });

  it("re-derives views after memory growth", () => {
    const before = k.memoryBytes;
    const huge = new Uint8Array(before + 3 * 65536).fill(7);
    const out = k.xorInto(new Uint8Array(huge.length).fill(5), huge);
    expect(out[0]).toBe(2);
    expect(out[out.length - 1]).toBe(2);
    expect(k.memoryBytes).toBeGreaterThan(before);
    expect(k.xorPackets([new Uint8Array([1, 2, 3])], 4)).toEqual(new Uint8Array([1, 2, 3, 0]));
  });

  it("rejects a dst shorter than src", () => {
    expect(() => k.xorInto(new Uint8Array(3), new Uint8Array(4))).toThrow(InvalidOptionError);
  });
});
