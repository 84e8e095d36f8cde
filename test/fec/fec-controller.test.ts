import { describe, expect, it } from "vitest";
import { FecController, fecProtectionFor, residualLossWithFec } from "../../src/fec/fec-controller.js";

describe("FEC protection policy (loss and RTT)", () => {
  it("residual formula: the DESIGN.md anchors p·(1 − (1 − p)^4) ≈ 0.9% at 5%, 3.4% at 10%", () => {
    expect(residualLossWithFec(0.05, 4)).toBeCloseTo(0.00927, 4);
    expect(residualLossWithFec(0.1, 4)).toBeCloseTo(0.0344, 3);
  });

  it("no FEC on a clean path", () => {
    for (const rttMs of [5, 50, 300]) expect(fecProtectionFor({ lossFraction: 0.001, rttMs }).fecPerMedia).toBe(0);
  });

  it("more parity as loss rises (fixed long RTT, where NACK cannot help)", () => {
    const levels = [0.01, 0.03, 0.05, 0.1, 0.2].map((p) => fecProtectionFor({ lossFraction: p, rttMs: 300 }).fecPerMedia);
    for (let i = 1; i < levels.length; i++) expect(levels[i]!).toBeGreaterThanOrEqual(levels[i - 1]!);
    expect(levels[0]!).toBeGreaterThan(0);
    expect(levels[4]!).toBe(0.5);
  });

  it("less FEC when the RTT is short (NACK recovers cheaper; libwebrtc: NACK only below 20 ms)", () => {
    for (const p of [0.05, 0.1, 0.2]) {
      const byRtt = [10, 40, 80, 200].map((rttMs) => fecProtectionFor({ lossFraction: p, rttMs }).fecPerMedia);
      for (let i = 1; i < byRtt.length; i++) expect(byRtt[i]!).toBeGreaterThanOrEqual(byRtt[i - 1]!);
      expect(byRtt[0]).toBe(0);
    }
    // Issue 4's scenario: 10% loss, 50 ms one-way (100 ms RTT): one NACK round fits, FEC covers the rest.
    const d = fecProtectionFor({ lossFraction: 0.1, rttMs: 100 });
    expect(d.nackRounds).toBe(1);
    expect(d.fecPerMedia).toBeGreaterThan(0);
    expect(d.expectedResidualLoss).toBeLessThan(0.005);
  });

  it("bursty loss picks the interleaved (bursty) masks", () => {
    expect(fecProtectionFor({ lossFraction: 0.1, rttMs: 200, meanBurstLength: 3 }).maskType).toBe("bursty");
    expect(fecProtectionFor({ lossFraction: 0.1, rttMs: 200 }).maskType).toBe("random");
  });

  it("FecController smooths loss reports", () => {
    const c = new FecController({ lossSmoothing: 0.5 });
    expect(c.current.fecPerMedia).toBe(0);
    c.update(0.2, 200);
    expect(c.smoothedLoss).toBeCloseTo(0.2);
    c.update(0, 200);
    expect(c.smoothedLoss).toBeCloseTo(0.1);
    expect(c.current.fecPerMedia).toBe(0.5);
    for (let i = 0; i < 20; i++) c.update(0, 200);
    expect(c.current.fecPerMedia).toBe(0);
  });

  it("validates inputs", () => {
    expect(() => fecProtectionFor({ lossFraction: 1.5, rttMs: 10 })).toThrow(/Cannot use lossFraction=1.5/);
    expect(() => new FecController({ lossSmoothing: 0 })).toThrow(/lossSmoothing/);
  });
});
