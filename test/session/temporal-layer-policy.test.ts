import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { TemporalLayerPolicy, type TemporalLayerPolicyOptions } from "../../src/session/temporal-layer-policy.js";

/** Reports one second apart: the policy's 2 s time constant weights each new one 1 - e^-0.5. */
const WEIGHT = 1 - Math.exp(-0.5);
let clockUs = 0;
const nextSecond = (): number => (clockUs += 1_000_000);
function smoothed(reports: readonly number[]): number[] {
  const out: number[] = [];
  let s = NaN;
  for (const r of reports) {
    s = Number.isNaN(s) ? r : s + WEIGHT * (r - s);
    out.push(s);
  }
  return out;
}

/** A policy already at two layers (heavy loss on a long round trip). */
function layered(options?: TemporalLayerPolicyOptions): TemporalLayerPolicy {
  const p = new TemporalLayerPolicy(options);
  expect(p.update(0.05, 300, nextSecond())).toBe(2);
  return p;
}

describe("TemporalLayerPolicy (RFC 7741 4.2 layers from RFC 3550 6.4.1 loss reports)", () => {
  it("starts with one layer", () => {
    expect(new TemporalLayerPolicy().current).toBe(1);
  });

  it("turns two layers on at smoothed loss >= 1% with RTT >= 150 ms, both at the threshold", () => {
    const p = new TemporalLayerPolicy();
    expect(p.update(0.01, 150, nextSecond())).toBe(2);
    expect(p.current).toBe(2);
  });

  it("needs both: loss alone on a short round trip, or a long round trip with little loss, keeps one layer", () => {
    const lossOnly = new TemporalLayerPolicy();
    for (let i = 0; i < 20; i++) expect(lossOnly.update(0.2, 149.9, nextSecond())).toBe(1);
    const rttOnly = new TemporalLayerPolicy();
    for (let i = 0; i < 20; i++) expect(rttOnly.update(0.0099, 1000, nextSecond())).toBe(1);
    expect(lossOnly.current).toBe(1);
    expect(rttOnly.current).toBe(1);
  });

  it("decides on the smoothed loss: one lossy report after clean ones does not turn layers on, sustained loss does once the average reaches 1%", () => {
    const reports = [0, 0, 0, 0, 0.02, 0.02, 0.02, 0.02, 0.02];
    const avg = smoothed(reports);
    const firstOn = avg.findIndex((s) => s >= 0.01);
    expect(firstOn).toBeGreaterThan(4); // the single 2% report alone stays under 1% once smoothed
    const p = new TemporalLayerPolicy();
    reports.forEach((r, i) => expect(p.update(r, 200, nextSecond()), `report ${i}`).toBe(i >= firstOn ? 2 : 1));
  });

  it("keeps two layers between the off and on thresholds (hysteresis: 0.3% loss, 120 ms)", () => {
    const p = layered();
    // Loss falls to 0.5% and RTT to 130 ms: under the on thresholds, over the off ones.
    for (let i = 0; i < 40; i++) expect(p.update(0.005, 130, nextSecond())).toBe(2);
    expect(p.update(0.005, 120, nextSecond())).toBe(2);
  });

  it("turns layers off when the RTT falls below 120 ms, whatever the loss", () => {
    const p = layered();
    expect(p.update(0.2, 119.9, nextSecond())).toBe(1);
    expect(p.current).toBe(1);
  });

  it("turns layers off at the report where the smoothed loss falls below 0.3%", () => {
    const reports = [0.05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const avg = smoothed(reports);
    const firstOff = avg.findIndex((s) => s < 0.003);
    expect(firstOff).toBeGreaterThan(1);
    const p = new TemporalLayerPolicy();
    reports.forEach((r, i) => expect(p.update(r, 200, nextSecond()), `report ${i}`).toBe(i >= firstOff ? 1 : 2));
  });

  it("once off, needs the on thresholds again (loss between 0.3% and 1% does not turn layers back on)", () => {
    const p = layered();
    expect(p.update(0.05, 100, nextSecond())).toBe(1); // off on the short round trip
    const reports = [0.05, 0.05, ...Array<number>(30).fill(0.005)];
    for (const r of reports.slice(2)) p.update(r, 100, nextSecond());
    // The smoothed loss is now between the thresholds, and the round trip long again.
    expect(smoothed(reports).at(-1)).toBeGreaterThanOrEqual(0.003);
    expect(smoothed(reports).at(-1)).toBeLessThan(0.01);
    for (let i = 0; i < 20; i++) expect(p.update(0.005, 200, nextSecond())).toBe(1);
    expect(p.update(0.05, 200, nextSecond())).toBe(2); // a report that lifts it back over 1% does
  });

  it("an RTT of NaN leaves the decision unchanged", () => {
    const off = new TemporalLayerPolicy();
    expect(off.update(0.5, NaN, nextSecond())).toBe(1);
    expect(off.current).toBe(1);
    const on = layered();
    // Loss-free reports would take the smoothed loss under 0.3% within a few; without an RTT they decide nothing.
    for (let i = 0; i < 20; i++) expect(on.update(0, NaN, nextSecond())).toBe(2);
    expect(on.current).toBe(2);
  });

  it.each([1.01, -0.01, NaN, Infinity])("refuses lossFraction=%s with InvalidOptionError naming what is allowed, and keeps its decision", (loss) => {
    const p = layered();
    expect(() => p.update(loss, 200, nextSecond())).toThrow(InvalidOptionError);
    expect(() => p.update(loss, 200, nextSecond())).toThrow(/lossFraction.*allowed.*0 to 1/);
    expect(p.current).toBe(2);
    expect(p.update(0.05, 200, nextSecond())).toBe(2);
  });

  it.each<[string, TemporalLayerPolicyOptions, RegExp]>([
    ["onLossFraction above 1", { onLossFraction: 1.5 }, /onLossFraction.*allowed/],
    ["negative onLossFraction", { onLossFraction: -0.1 }, /onLossFraction.*allowed/],
    ["NaN onLossFraction", { onLossFraction: NaN }, /onLossFraction.*allowed/],
    ["offLossFraction above onLossFraction", { onLossFraction: 0.02, offLossFraction: 0.03 }, /offLossFraction.*allowed/],
    ["negative offLossFraction", { offLossFraction: -0.001 }, /offLossFraction.*allowed/],
    ["negative onRttMs", { onRttMs: -1 }, /onRttMs.*allowed/],
    ["infinite onRttMs", { onRttMs: Infinity }, /onRttMs.*allowed/],
    ["offRttMs above onRttMs", { onRttMs: 100, offRttMs: 150 }, /offRttMs.*allowed/],
    ["NaN offRttMs", { offRttMs: NaN }, /offRttMs.*allowed/],
  ])("refuses %s with InvalidOptionError naming what is allowed", (_name, options, message) => {
    expect(() => new TemporalLayerPolicy(options)).toThrow(InvalidOptionError);
    expect(() => new TemporalLayerPolicy(options)).toThrow(message);
  });

  it("follows thresholds given as options", () => {
    const options = { onLossFraction: 0.05, offLossFraction: 0.02, onRttMs: 300, offRttMs: 250 };
    const p = new TemporalLayerPolicy(options);
    expect(p.update(0.04, 1000, nextSecond())).toBe(1); // 4% is enough by default, not here
    const q = new TemporalLayerPolicy(options);
    expect(q.update(0.2, 299, nextSecond())).toBe(1);
    expect(q.update(0.2, 300, nextSecond())).toBe(2);
    expect(q.update(0.2, 260, nextSecond())).toBe(2); // above offRttMs
    expect(q.update(0.2, 249, nextSecond())).toBe(1);
  });
});
