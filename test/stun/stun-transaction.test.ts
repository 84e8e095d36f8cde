import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { StunClientTransaction } from "../../src/stun/stun-transaction.js";

/** Runs a transaction with no answer; returns the send times (ms) and the timeout time (ms). */
function schedule(options = {}): { sendsMs: number[]; timeoutMs: number } {
  const tx = new StunClientTransaction(new Uint8Array(20), 0, options);
  const sendsMs = [0];
  for (let guard = 0; guard < 100; guard++) {
    const next = tx.nextTimeoutUs()!;
    // Ticking early does nothing.
    expect(tx.tick(next - 1)).toBeUndefined();
    const a = tx.tick(next);
    if (a === "retransmit") sendsMs.push(next / 1000);
    if (a === "timeout") return { sendsMs, timeoutMs: next / 1000 };
  }
  throw new Error("no timeout");
}

describe("StunClientTransaction (RFC 8489 6.2.1)", () => {
  it("RFC 8489 6.2.1: RTO 500 ms, Rc 7, Rm 16: sends at 0, 500, 1500, 3500, 7500, 15500, 31500 ms; times out at 39500 ms", () => {
    const { sendsMs, timeoutMs } = schedule();
    expect(sendsMs).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(timeoutMs).toBe(39500);
  });

  it("follows the options: RTO 100 ms, Rc 3, Rm 4", () => {
    expect(schedule({ rtoMs: 100, maxTransmits: 3, lastWaitRto: 4 })).toEqual({ sendsMs: [0, 100, 300], timeoutMs: 700 });
  });

  it("gives an RTT only when the request went once (Karn), and stops after completion", () => {
    const a = new StunClientTransaction(new Uint8Array(20), 1000, {});
    expect(a.complete(43_000)).toBe(42_000);
    expect(a.nextTimeoutUs()).toBeUndefined();
    expect(a.tick(10e9)).toBeUndefined();
    const b = new StunClientTransaction(new Uint8Array(20), 0, {});
    expect(b.tick(500_000)).toBe("retransmit");
    expect(b.complete(600_000)).toBeUndefined();
    expect(b.state).toBe("succeeded");
  });

  it("validates options", () => {
    expect(() => new StunClientTransaction(new Uint8Array(0), 0, { rtoMs: 0 })).toThrow(InvalidOptionError);
    expect(() => new StunClientTransaction(new Uint8Array(0), 0, { maxTransmits: 1.5 })).toThrow(/maxTransmits/);
  });
});
