import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadFileError } from "../../src/errors.js";
import { LossTrace } from "../../src/net/loss-trace.js";

/** Parses `text` and returns the trace or the BadFileError; anything else fails the test. */
function tryParse(text: string): LossTrace | BadFileError {
  try {
    return LossTrace.parse(text, "fuzz.txt");
  } catch (e) {
    if (e instanceof BadFileError) return e;
    throw e;
  }
}

describe("LossTrace parsing", () => {
  it("reads digit lines, run lengths, comments and directives", () => {
    const t = LossTrace.parse(["# header", "0010 01  # two groups", "", "1*3 0*2", "@after deliver"].join("\n"), "x.txt");
    expect(t.length).toBe(11);
    expect(t.unit).toBe("packet");
    expect(t.after).toBe("deliver");
    const lost = Array.from({ length: 12 }, (_, i) => (t.isLost(i) ? 1 : 0));
    expect(lost).toEqual([0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0]);
    expect(t.lostCount).toBe(5);
  });

  it("loops by default", () => {
    const t = LossTrace.parse("001\n");
    expect([0, 1, 2, 3, 4, 5, 302].map((i) => t.isLost(i))).toEqual([false, false, true, false, false, true, true]);
  });

  it("reads time-based traces and Gilbert-Elliott headers", () => {
    const ms = LossTrace.parse("@unit ms\n0*5000\n1*2000\n");
    expect(ms.unit).toBe("ms");
    expect([4999.9, 5000, 6999.5, 7000].map((t) => ms.isLost(t))).toEqual([false, true, true, false]);
    const ge = LossTrace.parse("# bursty\n@gilbert-elliott loss_pct=10 mean_burst=8\n");
    expect(ge.model).toEqual({ lossPct: 10, meanBurstLength: 8 });
    const p = ge.modelParams()!;
    expect(p.pBadToGood).toBeCloseTo(1 / 8, 12);
    expect(p.pGoodToBad).toBeCloseTo(((1 / 8) * 0.1) / 0.9, 12);
  });

  const bad: Array<[string, RegExp]> = [
    ["", /^Cannot read loss trace bad.txt: line 1: the trace has no entries$/],
    ["# only a comment\n", /line 2: the trace has no entries/],
    ["0\n0\n2\n", /^Cannot read loss trace bad.txt: line 3: entry "2" is not 0\/1 digits or a run like 1\*5$/],
    ["1*0\n", /line 1: run "1\*0" needs a count from 1/],
    ["2*5\n", /line 1: run "2\*5" must start with 0 or 1/],
    ["1*x\n", /line 1: run "1\*x" needs a count/],
    ["@unit s\n0\n", /line 1: @unit takes packet or ms/],
    ["@after loop\n@after loop\n0\n", /line 2: @after given twice/],
    ["@loop 5\n0\n", /line 1: unknown directive "@loop"/],
    ["@gilbert-elliott loss_pct=10\n", /line 1: @gilbert-elliott needs loss_pct= and mean_burst=/],
    ["@gilbert-elliott loss_pct=90 mean_burst=1\n", /line 1: Cannot use burstLossPct=90 with burstMeanLength=1/],
    ["0101\n@gilbert-elliott loss_pct=10 mean_burst=3\n", /line 1: entries are not allowed with @gilbert-elliott \(line 2\)/],
    ["@unit ms\n@gilbert-elliott loss_pct=10 mean_burst=3\n", /line 2: @gilbert-elliott works per packet/],
  ];
  it.each(bad)("rejects %j", (text, message) => {
    const r = tryParse(text.replace("fuzz.txt", "bad.txt"));
    expect(r).toBeInstanceOf(BadFileError);
    expect(() => LossTrace.parse(text, "bad.txt")).toThrow(message);
  });

  it("reports a missing file as BadFileError", async () => {
    await expect(LossTrace.load("fixtures/loss/nope.txt")).rejects.toThrow(/^Cannot read loss trace fixtures\/loss\/nope.txt: /);
    expect(() => LossTrace.loadSync("fixtures/loss/nope.txt")).toThrow(BadFileError);
  });

  it("round-trips format and parse", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 400 }), fc.constantFrom("loop", "deliver"), (pattern, after) => {
        const t = LossTrace.fromPattern(pattern, { after: after as "loop" | "deliver" });
        const back = LossTrace.parse(t.format({ comments: ["round trip"], lineWidth: 7 }));
        expect(back.length).toBe(pattern.length);
        expect(back.after).toBe(after);
        for (let i = 0; i < pattern.length; i++) expect(back.isLost(i)).toBe(pattern[i]);
      }),
      { numRuns: 500 },
    );
  });
});

describe("LossTrace fixtures", () => {
  const files = readdirSync("fixtures/loss").filter((f) => f.endsWith(".txt"));
  it("has the documented fixtures", () => {
    expect(files.sort()).toEqual(
      ["bursty-10-mean3.txt", "bursty-10-mean8.txt", "outage-2s.txt", "random-10.txt", "random-20.txt", "random-5.txt"].sort(),
    );
  });

  const expected: Record<string, { lossPct: number; meanBurst?: number }> = {
    "random-5.txt": { lossPct: 5 },
    "random-10.txt": { lossPct: 10 },
    "random-20.txt": { lossPct: 20 },
    "bursty-10-mean3.txt": { lossPct: 10, meanBurst: 3 },
    "bursty-10-mean8.txt": { lossPct: 10, meanBurst: 8 },
  };
  it.each(Object.entries(expected))("%s is close to its name", (file, want) => {
    const t = LossTrace.loadSync(`fixtures/loss/${file}`);
    expect(t.length).toBeGreaterThanOrEqual(5000);
    const lossPct = (100 * t.lostCount) / t.length;
    expect(Math.abs(lossPct - want.lossPct) / want.lossPct).toBeLessThanOrEqual(0.03);
    if (want.meanBurst !== undefined) {
      let bursts = 0;
      for (let i = 0; i < t.length; i++) if (t.isLost(i) && (i === 0 || !t.isLost(i - 1))) bursts++;
      expect(Math.abs(t.lostCount / bursts - want.meanBurst) / want.meanBurst).toBeLessThanOrEqual(0.05);
    }
  });
});

describe("LossTrace fuzz", () => {
  const check = (text: string): void => {
    const r = tryParse(text);
    if (r instanceof BadFileError) expect(r.message).toMatch(/^Cannot read loss trace fuzz\.txt: line \d+: /);
    else expect(r.length > 0 || r.model !== undefined).toBe(true);
  };

  it("throws only BadFileError on arbitrary text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), check), { numRuns: 3000 });
  });

  it("throws only BadFileError on near-valid lines", () => {
    const token = fc.constantFrom(
      "0", "1", "0101", "1*3", "0*1000000", "1*", "*3", "2", "0*0", "1*99999999999999", "#", "# c", " ", "\t", "\r",
      "@unit ms", "@unit packet", "@unit", "@after deliver", "@after loop", "@after", "@x",
      "@gilbert-elliott loss_pct=10 mean_burst=3", "@gilbert-elliott loss_pct=99 mean_burst=1", "@gilbert-elliott mean_burst=2",
      "loss_pct=5", "-1", "0.5", "01a", "１",
    );
    const line = fc.array(token, { maxLength: 4 }).map((t) => t.join(" "));
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => check(lines.join("\n"))), { numRuns: 4000 });
  });
});
