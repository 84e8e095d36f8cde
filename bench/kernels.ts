/**
 * Kernel benchmark: the AssemblyScript SIMD kernels (release build) against their plain
 * TypeScript references, in the same run, on 640x480 content from TestPatternSource.
 *
 *   npx tsx bench/kernels.ts
 *
 * - SSE of a 640x480 Y plane (307 200 bytes): WASM time includes the copy of both planes into
 *   linear memory (the real cost of a call), and the kernel alone on data already there.
 * - Downscale of a whole I420 frame 640x480 → 320x240 (box 2:1 on all three planes), WASM
 *   (copy in, kernel, copy out) vs TS; and bilinear 640x480 → 480x360 on Y.
 * Writes bench/results/kernels.json and prints ops/s.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import b from "benny";
import type { Summary } from "benny/lib/internal/common-types.js";
import { TestPatternSource } from "../src/media/test-pattern-source.js";
import { WasmKernels } from "../src/wasm/kernels.js";
import { downscaleBilinearTs, downscaleBox2xTs, sumSquaredErrorTs } from "../src/wasm/reference-kernels.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const k = WasmKernels.get("release");
const src = new TestPatternSource({ width: 640, height: 480 });
const fa = src.frameAt(10);
const fb = src.frameAt(11);
const W = 640, H = 480;

// Sanity: both paths agree before timing them.
if (k.sumSquaredError(fa.y, fb.y) !== sumSquaredErrorTs(fa.y, fb.y)) throw new Error("SSE mismatch");

// For "kernel only": the planes already sit in linear memory (a raw export call, no copies).
const raw = (k as unknown as { raw: { sumSquaredError(a: number, b: number, n: number): number }; scratchStart: number });
k.sumSquaredError(fa.y, fb.y); // leaves both planes in scratch at scratchStart and the next 16-aligned offset
const pa = raw.scratchStart, pb = (pa + fa.y.length + 15) & ~15;

const dstY = new Uint8Array((W / 2) * (H / 2));
const dstU = new Uint8Array((W / 4) * (H / 4));
const dstV = new Uint8Array((W / 4) * (H / 4));
const dstBil = new Uint8Array(480 * 360);

const summaries: Summary[] = [];
const opts = { minSamples: 30, maxTime: 4 };

await b.suite(
  "SSE 640x480 Y plane",
  b.add("wasm simd (with copy in)", () => k.sumSquaredError(fa.y, fb.y), opts),
  b.add("wasm simd (kernel only)", () => raw.raw.sumSquaredError(pa, pb, W * H), opts),
  b.add("typescript", () => sumSquaredErrorTs(fa.y, fb.y), opts),
  b.cycle(),
  b.complete((s) => void summaries.push(s)),
);

await b.suite(
  "Downscale I420 640x480 -> 320x240 (box 2:1)",
  b.add("wasm simd (with copies)", () => {
    k.downscaleBox2x(fa.y, W, H, W, dstY);
    k.downscaleBox2x(fa.u, W / 2, H / 2, W / 2, dstU);
    k.downscaleBox2x(fa.v, W / 2, H / 2, W / 2, dstV);
  }, opts),
  b.add("typescript", () => {
    downscaleBox2xTs(fa.y, W, dstY, W / 2, W / 2, H / 2);
    downscaleBox2xTs(fa.u, W / 2, dstU, W / 4, W / 4, H / 4);
    downscaleBox2xTs(fa.v, W / 2, dstV, W / 4, W / 4, H / 4);
  }, opts),
  b.cycle(),
  b.complete((s) => void summaries.push(s)),
);

await b.suite(
  "Downscale Y 640x480 -> 480x360 (bilinear)",
  b.add("wasm scalar (with copies)", () => k.downscaleBilinear(fa.y, W, H, W, 480, 360, dstBil), opts),
  b.add("typescript", () => downscaleBilinearTs(fa.y, W, H, W, dstBil, 480, 360, 480), opts),
  b.cycle(),
  b.complete((s) => void summaries.push(s)),
);

const out = {
  date: new Date().toISOString(),
  node: process.version,
  suites: summaries.map((s) => ({
    name: s.name,
    results: s.results.map((r) => ({
      name: r.name,
      opsPerSec: Math.round(r.ops),
      usPerOp: Number((1e6 / r.ops).toFixed(2)),
      marginPct: r.margin,
      samples: r.samples,
    })),
    fastest: s.fastest.name,
    speedupFastestVsSlowest: Number((s.results[s.fastest.index]!.ops / s.results[s.slowest.index]!.ops).toFixed(2)),
  })),
};
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "kernels.json"), JSON.stringify(out, null, 2) + "\n");
for (const s of out.suites) {
  console.log(`\n${s.name}`);
  for (const r of s.results) console.log(`  ${r.name.padEnd(28)} ${String(r.usPerOp).padStart(9)} µs/op  ±${r.marginPct}%`);
}
