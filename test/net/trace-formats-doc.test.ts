import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BandwidthTrace } from "../../src/net/bandwidth-trace.js";
import { LossTrace } from "../../src/net/loss-trace.js";

/** The examples in docs/trace-formats.md must parse as what they claim to be. */
describe("docs/trace-formats.md examples", () => {
  const doc = readFileSync("docs/trace-formats.md", "utf8");
  const blocks = [...doc.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it("has examples of both formats", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
  });

  it.each(blocks.map((b, i) => [i, b] as const))("example %i parses", (_i, text) => {
    if (/^\d+,\d+/m.test(text)) expect(BandwidthTrace.parse(text).steps.length).toBeGreaterThan(0);
    else {
      const t = LossTrace.parse(text);
      expect(t.length > 0 || t.model !== undefined).toBe(true);
    }
  });

  it("writes the same pattern in digits and runs", () => {
    const a = LossTrace.parse("0000100000 0011100000");
    const b = LossTrace.parse("0*4 1 0*7 1*3 0*5");
    expect(b.length).toBe(20);
    for (let i = 0; i < 20; i++) expect(b.isLost(i)).toBe(a.isLost(i));
  });
});
