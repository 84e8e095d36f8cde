import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import {
  SequenceUnwrapper,
  TimestampUnwrapper,
  WrapAroundUnwrapper,
  seqDiff,
  seqNewer,
  timestampDiff,
  timestampNewer,
} from "../../src/rtp/wrap-around-unwrapper.js";

describe("serial-number comparisons (RFC 1982 3.2)", () => {
  it.each([
    [1, 0, 1],
    [0, 65535, 1],
    [65535, 0, -1],
    [100, 200, -100],
    [32767, 0, 32767],
    [0, 32769, 32767],
  ])("seqDiff(%i, %i) = %i", (a, b, d) => {
    expect(seqDiff(a, b)).toBe(d);
    expect(seqNewer(a, b)).toBe(d > 0);
  });

  it("breaks the half-way tie toward the larger raw value, antisymmetrically", () => {
    expect(seqNewer(32768, 0)).toBe(true);
    expect(seqNewer(0, 32768)).toBe(false);
    expect(seqDiff(32768, 0)).toBe(-seqDiff(0, 32768));
  });

  it("compares 32-bit RTP timestamps across the wrap (RFC 3550 5.1)", () => {
    expect(timestampDiff(10, 0xffff_fff0)).toBe(26);
    expect(timestampNewer(10, 0xffff_fff0)).toBe(true);
    expect(timestampNewer(0xffff_fff0, 10)).toBe(false);
    expect(timestampDiff(0, 0x7fff_ffff)).toBe(-0x7fff_ffff);
  });
});

describe("SequenceUnwrapper", () => {
  it("unwraps 16-bit sequence numbers monotonically across many wraps", () => {
    const u = new SequenceUnwrapper();
    let seq = 65000;
    let expected = 65000;
    for (let i = 0; i < 300_000; i += 7) {
      expect(u.unwrap(seq)).toBe(expected);
      seq = (seq + 7) & 0xffff;
      expected += 7;
    }
  });

  it("maps reordered (older) values below the highest without moving it", () => {
    const u = new SequenceUnwrapper();
    expect(u.unwrap(65534)).toBe(65534);
    expect(u.unwrap(1)).toBe(65537);
    expect(u.unwrap(65535)).toBe(65535);
    expect(u.highest).toBe(65537);
    expect(u.unwrap(2)).toBe(65538);
  });

  it("peek does not change state; reset starts over", () => {
    const u = new SequenceUnwrapper();
    u.unwrap(10);
    expect(u.peek(9)).toBe(9);
    expect(u.peek(65535)).toBe(-1);
    expect(u.highest).toBe(10);
    u.reset();
    expect(Number.isNaN(u.highest)).toBe(true);
    expect(u.unwrap(5)).toBe(5);
  });
});

describe("TimestampUnwrapper", () => {
  it("unwraps 32-bit timestamps past 2^32", () => {
    const u = new TimestampUnwrapper();
    expect(u.unwrap(0xffff_0000)).toBe(0xffff_0000);
    expect(u.unwrap(0x0000_1000)).toBe(0x1_0000_1000);
    expect(u.unwrap(0xffff_8000)).toBe(0xffff_8000);
    expect(u.unwrap(0x7000_2000)).toBe(0x1_7000_2000);
  });

  it("rejects unsupported widths", () => {
    expect(() => new WrapAroundUnwrapper(8 as 16)).toThrow(InvalidOptionError);
  });
});
