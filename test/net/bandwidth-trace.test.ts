import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadFileError, InvalidOptionError } from "../../src/errors.js";
import { BandwidthTrace } from "../../src/net/bandwidth-trace.js";

function tryParse(text: string): BandwidthTrace | BadFileError {
  try {
    return BandwidthTrace.parse(text, "fuzz.csv");
  } catch (e) {
    if (e instanceof BadFileError) return e;
    throw e;
  }
}

describe("BandwidthTrace parsing", () => {
  it("reads a header, comments, steps and @loop_ms", () => {
    const t = BandwidthTrace.parse("# c\ntime_ms,capacity_kbps\n0,1000 # 1 Mbit/s\n 500 , 200\n\n1500,0\n@loop_ms 2000\n");
    expect(t.steps).toEqual([
      { timeMs: 0, capacityKbps: 1000 },
      { timeMs: 500, capacityKbps: 200 },
      { timeMs: 1500, capacityKbps: 0 },
    ]);
    expect(t.loopMs).toBe(2000);
    expect([0, 499_999, 500_000, 1_600_000, 2_000_000, 2_700_000].map((u) => t.rateAtUs(u))).toEqual([
      1e6, 1e6, 2e5, 0, 1e6, 2e5,
    ]);
    expect(t.maxRateBps).toBe(1e6);
  });

  it("holds the last value without @loop_ms", () => {
    const t = BandwidthTrace.parse("0,100\n1000,300\n");
    expect(t.rateAtUs(1e12)).toBe(300_000);
  });

  const bad: Array<[string, RegExp]> = [
    ["", /^Cannot read bandwidth trace bad.csv: line 1: the trace has no time_ms,capacity_kbps lines$/],
    ["100,5\n", /^Cannot read bandwidth trace bad.csv: line 1: the first step must be at time_ms 0, not 100$/],
    ["0,5\n0,6\n", /line 2: time_ms=0 is not after the previous 0/],
    ["0,5\n10\n", /line 2: expected time_ms,capacity_kbps with non-negative numbers, got "10"/],
    ["0,-5\n", /line 1: expected time_ms,capacity_kbps/],
    ["0,5\ntime_ms,capacity_kbps\n", /line 2: the header line time_ms,capacity_kbps may only come first/],
    ["0,5\n@loop_ms 0\n", /line 2: @loop_ms 0 must be after the last step at 0 ms/],
    ["0,5\n@repeat\n", /line 2: unknown directive "@repeat"/],
    ["0,999999999999\n", /line 1: capacity_kbps=999999999999 is beyond/],
  ];
  it.each(bad)("rejects %j", (text, message) => {
    expect(() => BandwidthTrace.parse(text, "bad.csv")).toThrow(BadFileError);
    expect(() => BandwidthTrace.parse(text, "bad.csv")).toThrow(message);
  });

  it("validates steps given in code", () => {
    expect(() => BandwidthTrace.fromSteps([])).toThrow(InvalidOptionError);
    expect(() => BandwidthTrace.fromSteps([{ timeMs: 5, capacityKbps: 1 }])).toThrow(/the first step must be at timeMs=0/);
    expect(() => BandwidthTrace.fromSteps([{ timeMs: 0, capacityKbps: -1 }])).toThrow(/Cannot use steps\[0\].capacityKbps=-1/);
    expect(() => BandwidthTrace.fromSteps([{ timeMs: 0, capacityKbps: 1 }], { loopMs: 0 })).toThrow(/Cannot use loopMs=0/);
  });

  it("round-trips format and parse", () => {
    const t = BandwidthTrace.loadSync("fixtures/bandwidth/cellular.csv");
    const back = BandwidthTrace.parse(t.format());
    expect(back.steps).toEqual(t.steps);
    expect(back.loopMs).toBe(t.loopMs);
  });
});

describe("BandwidthTrace transmit time", () => {
  it("integrates capacity across steps", () => {
    const t = BandwidthTrace.fromSteps([
      { timeMs: 0, capacityKbps: 1000 },
      { timeMs: 10, capacityKbps: 0 },
      { timeMs: 20, capacityKbps: 500 },
    ]);
    // 8000 bits at 1 Mbit/s = 8 ms.
    expect(t.finishUs(0, 8000)).toBeCloseTo(8000, 6);
    // Starting at 6 ms: 4000 bits by 10 ms, nothing until 20 ms, 4000 bits at 500 kbit/s = 8 ms.
    expect(t.finishUs(6000, 8000)).toBeCloseTo(28_000, 6);
    expect(t.finishUs(12_000, 500)).toBeCloseTo(21_000, 6);
  });

  it("loops and reports a permanent outage as Infinity", () => {
    const looped = BandwidthTrace.fromSteps([
      { timeMs: 0, capacityKbps: 1000 },
      { timeMs: 1, capacityKbps: 0 },
    ], { loopMs: 2 });
    // 1000 bits per 2 ms cycle: 2500 bits take two full cycles and half of the third's 1 ms.
    expect(looped.finishUs(0, 2500)).toBeCloseTo(4500, 6);
    const dead = BandwidthTrace.fromSteps([
      { timeMs: 0, capacityKbps: 10 },
      { timeMs: 5, capacityKbps: 0 },
    ]);
    expect(dead.finishUs(6000, 1)).toBe(Infinity);
    expect(BandwidthTrace.fromSteps([{ timeMs: 0, capacityKbps: 0 }], { loopMs: 5 }).finishUs(0, 1)).toBe(Infinity);
  });
});

describe("BandwidthTrace fixtures", () => {
  it("has the documented fixtures, all parseable", () => {
    const files = readdirSync("fixtures/bandwidth").filter((f) => f.endsWith(".csv")).sort();
    expect(files).toEqual(["3g-150k.csv", "cellular.csv", "outage-2s.csv", "steady-2mbps.csv", "step-1m-200k-1m.csv"]);
    for (const f of files) expect(BandwidthTrace.loadSync(`fixtures/bandwidth/${f}`).steps.length).toBeGreaterThan(0);
  });

  it("3g-150k averages 150 kbit/s", () => {
    const t = BandwidthTrace.loadSync("fixtures/bandwidth/3g-150k.csv");
    const mean = t.steps.reduce((a, s) => a + s.capacityKbps, 0) / t.steps.length;
    expect(Math.abs(mean - 150)).toBeLessThan(1);
    expect(t.loopMs).toBe(60_000);
  });
});

describe("BandwidthTrace fuzz", () => {
  const check = (text: string): void => {
    const r = tryParse(text);
    if (r instanceof BadFileError) expect(r.message).toMatch(/^Cannot read bandwidth trace fuzz\.csv: line \d+: /);
    else expect(r.steps.length).toBeGreaterThan(0);
  };
  it("throws only BadFileError on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), check), { numRuns: 3000 });
  });
  it("throws only BadFileError on near-valid lines", () => {
    const num = fc.oneof(fc.nat(100_000).map(String), fc.constantFrom("0", "0.5", "-1", "1e3", "", "x", "1000000000000"));
    const line = fc.oneof(
      fc.tuple(num, num).map(([a, b]) => `${a},${b}`),
      fc.constantFrom("time_ms,capacity_kbps", "# c", "", "@loop_ms 5000", "@loop_ms", "@loop_ms 0", ",", "0,1,2", "0;1"),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 10 }), (lines) => check(lines.join("\n"))), { numRuns: 4000 });
  });
  it("throws only BadFileError on sorted near-valid traces", () => {
    const steps = fc.array(fc.tuple(fc.nat(50_000), fc.nat(5000)), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(steps, fc.option(fc.nat(100_000)), (s, loop) => {
        const sorted = [...s].sort((a, b) => a[0] - b[0]);
        const lines = sorted.map(([t, c], i) => `${i === 0 ? 0 : t},${c}`);
        if (loop !== null) lines.push(`@loop_ms ${loop}`);
        const r = tryParse(lines.join("\n"));
        if (!(r instanceof BadFileError)) expect(r.finishUs(1234, 8000)).toBeGreaterThan(1234);
      }),
      { numRuns: 3000 },
    );
  });
});
