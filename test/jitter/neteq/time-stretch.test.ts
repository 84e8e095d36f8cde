import { describe, expect, it } from "vitest";
import { findPitchPeriod } from "../../../src/jitter/neteq/pitch-period.js";
import { TimeStretch } from "../../../src/jitter/neteq/time-stretch.js";
import { SeededRandom } from "../../../src/util/seeded-random.js";

const SR = 48_000;

/** Sum of the first 8 harmonics of f0 (amplitude 1/k), peak about −6 dBFS. */
function harmonics(f0: number, frames: number, phase = 0): Int16Array {
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let v = 0;
    for (let k = 1; k <= 8; k++) v += Math.sin(2 * Math.PI * k * f0 * (i / SR) + k * phase) / k;
    out[i] = Math.round(6000 * v);
  }
  return out;
}

/**
 * Fundamental frequency by a fine DFT scan (Goertzel-style single-bin magnitudes) between
 * lo and hi Hz, step 0.05 Hz: independent of the autocorrelation the stretcher uses.
 */
function estimateF0(x: Int16Array, lo: number, hi: number): number {
  let best = lo, bestMag = -1;
  for (let f = lo; f <= hi; f += 0.05) {
    const w = (2 * Math.PI * f) / SR;
    let re = 0, im = 0;
    for (let i = 0; i < x.length; i++) {
      re += x[i]! * Math.cos(w * i);
      im -= x[i]! * Math.sin(w * i);
    }
    const m = re * re + im * im;
    if (m > bestMag) (bestMag = m), (best = f);
  }
  return best;
}

/** Stretches `x` block by block (40 ms blocks), one accelerate or preemptive expand per block. */
function stretchAll(ts: TimeStretch, x: Int16Array, mode: "accelerate" | "preemptiveExpand"): { out: Int16Array; changes: number[] } {
  const parts: Int16Array[] = [];
  const changes: number[] = [];
  for (let off = 0; off + 1920 <= x.length; off += 1920) {
    const r = ts[mode](x.subarray(off, off + 1920));
    parts.push(r.output);
    changes.push(r.changeFrames);
  }
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return { out, changes };
}

describe("findPitchPeriod", () => {
  it.each([
    [100, 480],
    [150, 320],
    [240, 200],
    [300, 160],
  ])("finds the period of %d Hz harmonics (%d samples), not a multiple", (f0, period) => {
    const p = findPitchPeriod(harmonics(f0, 1920), 1, 120, 960);
    expect(Math.abs(p.periodFrames - period)).toBeLessThanOrEqual(1);
    expect(p.correlation).toBeGreaterThan(0.99);
  });
});

describe("TimeStretch (pitch-synchronous accelerate / preemptive expand)", () => {
  const ts = new TimeStretch();
  const f0 = 150;
  const input = harmonics(f0, SR); // 1 s
  const f0In = estimateF0(input, 120, 180);

  it("accelerate removes one pitch period per call and keeps the pitch within 3%", () => {
    const { out, changes } = stretchAll(ts, input, "accelerate");
    // Requested: one period (320 samples at 150 Hz) per 40 ms block, 25 blocks.
    for (const c of changes) expect(Math.abs(c - 320)).toBeLessThanOrEqual(2);
    const removed = changes.reduce((a, b) => a + b, 0);
    expect(out.length).toBe(input.length - removed);
    expect(removed / input.length).toBeGreaterThan(0.16); // ~1/6 shorter
    const f0Out = estimateF0(out, 120, 180);
    expect(Math.abs(f0Out - f0In) / f0In).toBeLessThan(0.03);
    expect(Math.abs(f0Out - f0) / f0).toBeLessThan(0.03);
  });

  it("preemptive expand inserts one pitch period per call and keeps the pitch within 3%", () => {
    const { out, changes } = stretchAll(ts, input, "preemptiveExpand");
    for (const c of changes) expect(Math.abs(c - 320)).toBeLessThanOrEqual(2);
    const inserted = changes.reduce((a, b) => a + b, 0);
    expect(out.length).toBe(input.length + inserted);
    const f0Out = estimateF0(out, 120, 180);
    expect(Math.abs(f0Out - f0) / f0).toBeLessThan(0.03);
  });

  it("a naive cut of the same length would change the waveform; the splice is seamless", () => {
    const r = ts.accelerate(input.subarray(0, 1920));
    // Splice point continuity: the sample after the crossfade equals the input 2T on.
    const T = r.changeFrames;
    expect(r.output[T]).toBe(input[2 * T]);
    expect(r.output[0]).toBeCloseTo(input[0]!, -1);
    // Against the ideal (a shorter pure signal): tiny error everywhere.
    let err = 0, sig = 0;
    for (let i = 0; i < r.output.length; i++) {
      const ideal = input[i + T]!; // periodic signal: x[i+T] == x[i]
      err += (r.output[i]! - ideal) ** 2;
      sig += ideal ** 2;
    }
    expect(10 * Math.log10(sig / err)).toBeGreaterThan(40);
  });

  it("silence: removes or inserts 10 ms directly", () => {
    const quiet = new Int16Array(1920);
    const a = ts.accelerate(quiet);
    expect(a.method).toBe("silence");
    expect(a.changeFrames).toBe(480);
    expect(a.output.length).toBe(1920 - 480);
    const e = ts.preemptiveExpand(quiet);
    expect(e.method).toBe("silence");
    expect(e.output.length).toBe(1920 + 480);
  });

  it("loud aperiodic noise is left alone", () => {
    const rng = new SeededRandom(5);
    const noise = new Int16Array(1920).map(() => Math.round((rng.next() - 0.5) * 16000));
    const r = ts.accelerate(noise);
    expect(r.method).toBe("none");
    expect(r.output).toBe(noise);
  });

  it("stereo: both channels stretched by the same period", () => {
    const mono = harmonics(200, 1920);
    const st = new Int16Array(3840);
    for (let i = 0; i < 1920; i++) (st[2 * i] = mono[i]!), (st[2 * i + 1] = mono[i]! >> 1);
    const r = new TimeStretch({ channels: 2 }).accelerate(st);
    expect(r.changeFrames).toBe(240);
    expect(r.output.length).toBe((1920 - 240) * 2);
    expect(r.output[2 * 1000 + 1]).toBeCloseTo(r.output[2 * 1000]! / 2, -1);
  });

  it("rejects bad options", () => {
    expect(() => new TimeStretch({ maxPeriodMs: 1, minPeriodMs: 5 })).toThrow(/maxPeriodMs/);
    expect(() => new TimeStretch({ correlationThreshold: 2 })).toThrow(/correlationThreshold/);
  });
});
