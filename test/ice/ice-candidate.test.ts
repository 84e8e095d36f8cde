import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { candidatePairPriority } from "../../src/ice/candidate-pair-priority.js";
import { candidateFoundation, candidatePriority, ICE_TYPE_PREFERENCE } from "../../src/ice/ice-candidate.js";
import { transportAddress } from "../../src/stun/transport-address.js";

describe("candidate priority (RFC 8445 5.1.2.1)", () => {
  it("uses the recommended type preferences 126/110/100/0 (RFC 8445 5.1.2.2)", () => {
    expect(ICE_TYPE_PREFERENCE).toEqual({ host: 126, prflx: 110, srflx: 100, relay: 0 });
    // The well-known values for local preference 65535, component 1.
    expect(candidatePriority("host", 65535)).toBe(2130706431);
    expect(candidatePriority("prflx", 65535)).toBe(1862270975);
    expect(candidatePriority("srflx", 65535)).toBe(1694498815);
    expect(candidatePriority("relay", 65535)).toBe(16777215);
    expect(candidatePriority("host", 0, 2)).toBe(126 * 2 ** 24 + 254);
  });

  it("rejects a local preference or component out of range", () => {
    expect(() => candidatePriority("host", 65536)).toThrow(InvalidOptionError);
    expect(() => candidatePriority("host", 1, 0)).toThrow(InvalidOptionError);
  });

  it("pair priority is 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0) (RFC 8445 6.1.2.3)", () => {
    expect(candidatePairPriority(2130706431, 1694498815)).toBe(7277816997797167103n);
    expect(candidatePairPriority(1694498815, 2130706431)).toBe(7277816997797167102n);
    expect(candidatePairPriority(5, 5)).toBe((5n << 32n) + 10n);
    // host-host beats host-srflx beats anything relayed.
    expect(candidatePairPriority(2130706431, 2130706431) > candidatePairPriority(2130706431, 1694498815)).toBe(true);
    expect(candidatePairPriority(1694498815, 1694498815) > candidatePairPriority(2130706431, 16777215)).toBe(true);
  });

  it("foundations are equal for the same type, base and server, different otherwise (RFC 8445 5.1.1.3)", () => {
    const s1 = transportAddress("192.0.2.1", 3478);
    const s2 = transportAddress("192.0.2.2", 3478);
    expect(candidateFoundation("srflx", "10.0.0.1", s1)).toBe(candidateFoundation("srflx", "10.0.0.1", s1));
    expect(candidateFoundation("srflx", "10.0.0.1", s1)).not.toBe(candidateFoundation("srflx", "10.0.0.1", s2));
    expect(candidateFoundation("host", "10.0.0.1", undefined)).not.toBe(candidateFoundation("host", "10.0.0.2", undefined));
    expect(candidateFoundation("host", "10.0.0.1", undefined)).not.toBe(candidateFoundation("relay", "10.0.0.1", undefined));
    expect(candidateFoundation("host", "10.0.0.1", undefined)).toMatch(/^[0-9]{1,10}$/);
  });
});
