import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { RtpHeaderExtensions } from "../../src/rtp/rtp-header-extensions.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "./fuzz-helper.js";

// RFC 8285 4.2 figure: three one-byte elements (L=0, L=1, L=3) with two padding bytes.
const RFC8285_ONE_BYTE = Uint8Array.from([
  0xbe, 0xde, 0x00, 0x03,
  0x10, 0xaa, 0x21, 0xbb,
  0xbb, 0x00, 0x00, 0x33,
  0xcc, 0xcc, 0xcc, 0xcc,
]);

// RFC 8285 4.3 figure: two-byte elements (L=0, L=1, L=4) with one padding byte.
const RFC8285_TWO_BYTE = Uint8Array.from([
  0x10, 0x00, 0x00, 0x03,
  0x01, 0x00, 0x02, 0x01,
  0xbb, 0x00, 0x03, 0x04,
  0xcc, 0xcc, 0xcc, 0xcc,
]);

describe("RtpHeaderExtensions", () => {
  it("parses the RFC 8285 4.2 one-byte example", () => {
    const ext = RtpHeaderExtensions.parse(RFC8285_ONE_BYTE);
    expect(ext.form).toBe("one-byte");
    expect(ext.elements.map((e) => [e.id, Array.from(e.data)])).toEqual([
      [1, [0xaa]],
      [2, [0xbb, 0xbb]],
      [3, [0xcc, 0xcc, 0xcc, 0xcc]],
    ]);
    expect(ext.get(2)).toEqual(Uint8Array.of(0xbb, 0xbb));
    expect(RtpHeaderExtensions.find(0xbede, RFC8285_ONE_BYTE.subarray(4), 3)).toEqual(Uint8Array.of(0xcc, 0xcc, 0xcc, 0xcc));
  });

  it("parses the RFC 8285 4.3 two-byte example, including a zero-length element", () => {
    const ext = RtpHeaderExtensions.parse(RFC8285_TWO_BYTE);
    expect(ext.form).toBe("two-byte");
    expect(ext.get(1)).toEqual(new Uint8Array(0));
    expect(ext.get(2)).toEqual(Uint8Array.of(0xbb));
    expect(ext.get(3)).toEqual(Uint8Array.of(0xcc, 0xcc, 0xcc, 0xcc));
    // Re-serialized packed: 2 + 3 + 6 bytes, then one padding byte.
    expect(Array.from(ext.serialize())).toEqual([0x10, 0x00, 0x00, 0x03, 0x01, 0x00, 0x02, 0x01, 0xbb, 0x03, 0x04, 0xcc, 0xcc, 0xcc, 0xcc, 0x00]);
  });

  it("re-serializes one-byte elements packed, padded to 32 bits (RFC 8285 4.2)", () => {
    const ext = RtpHeaderExtensions.parse(RFC8285_ONE_BYTE);
    expect(Array.from(ext.serialize())).toEqual([0xbe, 0xde, 0x00, 0x03, 0x10, 0xaa, 0x21, 0xbb, 0xbb, 0x33, 0xcc, 0xcc, 0xcc, 0xcc, 0x00, 0x00]);
  });

  it("stops at id 15 in the one-byte form (RFC 8285 4.2)", () => {
    const ext = RtpHeaderExtensions.parse(Uint8Array.of(0xbe, 0xde, 0x00, 0x02, 0x10, 0x01, 0xf3, 0xff, 0xff, 0xff, 0xff, 0xff));
    expect(ext.elements).toHaveLength(1);
  });

  it("switches to the two-byte form for ids above 14, empty or long data (RFC 8285 4.3)", () => {
    const a = new RtpHeaderExtensions().set(1, Uint8Array.of(1));
    expect(a.form).toBe("one-byte");
    a.set(20, Uint8Array.of(2, 3));
    expect(a.form).toBe("two-byte");
    const b = new RtpHeaderExtensions().set(2, new Uint8Array(17));
    expect(b.form).toBe("two-byte");
    const c = RtpHeaderExtensions.parse(b.serialize());
    expect(c.get(2)).toHaveLength(17);
    expect(new RtpHeaderExtensions().set(3, new Uint8Array(0)).form).toBe("two-byte");
  });

  it("replaces and deletes by id", () => {
    const e = new RtpHeaderExtensions().set(1, Uint8Array.of(1)).set(1, Uint8Array.of(9, 9));
    expect(e.elements).toHaveLength(1);
    expect(e.get(1)).toEqual(Uint8Array.of(9, 9));
    expect(e.delete(1)).toBe(true);
    expect(e.delete(1)).toBe(false);
  });

  it("keeps non-RFC 8285 profiles raw (RFC 3550 5.3.1)", () => {
    const e = RtpHeaderExtensions.parse(Uint8Array.of(0x12, 0x34, 0x00, 0x01, 1, 2, 3, 4));
    expect(e.form).toBe("raw");
    expect(e.rawData).toEqual(Uint8Array.of(1, 2, 3, 4));
    expect(() => e.set(1, Uint8Array.of(1))).toThrow(InvalidOptionError);
    expect(e.serialize()).toEqual(Uint8Array.of(0x12, 0x34, 0x00, 0x01, 1, 2, 3, 4));
  });

  it.each([
    ["short header", [0xbe, 0xde, 0x00]],
    ["length overrun", [0xbe, 0xde, 0x00, 0x02, 0x10, 0, 0, 0]],
    ["one-byte element overrun", [0xbe, 0xde, 0x00, 0x01, 0x13, 1, 2, 3]],
    ["two-byte element overrun", [0x10, 0x00, 0x00, 0x01, 0x01, 0x05, 1, 2]],
    ["two-byte id without length", [0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07]],
  ])("rejects %s with MalformedPacketError", (_name, bytes) => {
    expect(() => RtpHeaderExtensions.parse(Uint8Array.from(bytes))).toThrow(MalformedPacketError);
  });

  it("fuzz: malformed blocks throw MalformedPacketError, valid ones round-trip (RFC 8285)", () => {
    const valid = (rng: SeededRandom): Uint8Array => {
      const e = new RtpHeaderExtensions(rng.int(0, 1) === 0 ? 0xbede : 0x1000 + rng.int(0, 15));
      const n = rng.int(0, 5);
      for (let i = 0; i < n; i++) {
        const id = e.form === "one-byte" ? rng.int(1, 14) : rng.int(1, 255);
        const len = e.form === "one-byte" ? rng.int(1, 16) : rng.int(0, 40);
        e.set(id, rng.fill(new Uint8Array(len)));
      }
      return e.serialize();
    };
    const r = fuzz({ parse: (b) => RtpHeaderExtensions.parse(b), serialize: (e) => e.serialize(), valid }, 25_000, 8285);
    expect(r.inputs).toBe(25_000);
    expect(r.parsed).toBeGreaterThan(6000);
    expect(r.rejected).toBeGreaterThan(1000);
  });
});
