import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { Vp8PayloadDescriptor } from "../../src/rtp/vp8-payload-descriptor.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "./fuzz-helper.js";

describe("Vp8PayloadDescriptor (RFC 7741 4.2)", () => {
  it("parses the one-byte required descriptor: N, S, PID", () => {
    const d = Vp8PayloadDescriptor.parse(Uint8Array.of(0x35, 0xaa));
    expect(d.nonReference).toBe(true);
    expect(d.startOfPartition).toBe(true);
    expect(d.partitionIndex).toBe(5);
    expect(d.startOfFrame).toBe(false);
    expect(d.pictureId).toBe(-1);
    expect(d.headerLength).toBe(1);
  });

  it("parses X with I (7-bit PictureID, M=0)", () => {
    const d = Vp8PayloadDescriptor.parse(Uint8Array.of(0x90, 0x80, 0x11));
    expect(d.pictureId).toBe(0x11);
    expect(d.pictureIdBits).toBe(7);
    expect(d.startOfFrame).toBe(true);
    expect(d.headerLength).toBe(3);
  });

  it("parses X with I (15-bit PictureID, M=1), L, T and K (RFC 7741 4.2 figure)", () => {
    // X=1 S=1 | I L T K | M=1 PictureID=0x1234 | TL0PICIDX=7 | TID=2 Y=1 KEYIDX=9
    const d = Vp8PayloadDescriptor.parse(Uint8Array.of(0x90, 0xf0, 0x92, 0x34, 0x07, 0xa9, 0x9d));
    expect(d.pictureId).toBe(0x1234);
    expect(d.pictureIdBits).toBe(15);
    expect(d.tl0PicIdx).toBe(7);
    expect(d.tid).toBe(2);
    expect(d.layerSync).toBe(true);
    expect(d.keyIdx).toBe(9);
    expect(d.headerLength).toBe(6);
    expect(Array.from(d.serialize())).toEqual([0x90, 0xf0, 0x92, 0x34, 0x07, 0xa9]);
  });

  it("K without T carries only KEYIDX; T without K only TID/Y", () => {
    expect(Vp8PayloadDescriptor.parse(Uint8Array.of(0x80, 0x10, 0xff)).tid).toBe(-1);
    expect(Vp8PayloadDescriptor.parse(Uint8Array.of(0x80, 0x10, 0xff)).keyIdx).toBe(31);
    expect(Vp8PayloadDescriptor.parse(Uint8Array.of(0x80, 0x20, 0xff)).keyIdx).toBe(-1);
    expect(new Vp8PayloadDescriptor({ keyIdx: 3 }).serialize()).toEqual(Uint8Array.of(0x80, 0x10, 0x03));
  });

  it("detects keyframes from the P bit of the VP8 payload header (RFC 7741 4.3)", () => {
    // VP8 keyframe header: frame tag (P=0), start code 9d 01 2a, width 640, height 480.
    const key = Uint8Array.of(0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01);
    expect(Vp8PayloadDescriptor.isKeyframe(key)).toBe(true);
    expect(Vp8PayloadDescriptor.keyframeSize(key)).toEqual({ width: 640, height: 480 });
    const delta = Uint8Array.of(0x51, 0x42, 0x00);
    expect(Vp8PayloadDescriptor.isKeyframe(delta)).toBe(false);
    expect(Vp8PayloadDescriptor.keyframeSize(delta)).toBeUndefined();
    expect(Vp8PayloadDescriptor.isKeyframe(new Uint8Array(0))).toBe(false);
  });

  it.each([
    ["empty", []],
    ["X without extension byte", [0x80]],
    ["I without PictureID", [0x80, 0x80]],
    ["M without second byte", [0x80, 0x80, 0x80]],
    ["L without TL0PICIDX", [0x80, 0x40]],
    ["T without TID byte", [0x80, 0x20]],
  ])("rejects %s", (_n, bytes) => {
    expect(() => Vp8PayloadDescriptor.parse(Uint8Array.from(bytes))).toThrow(MalformedPacketError);
  });

  it("validates fields when built", () => {
    expect(() => new Vp8PayloadDescriptor({ pictureId: 200, pictureIdBits: 7 })).toThrow(InvalidOptionError);
    expect(() => new Vp8PayloadDescriptor({ partitionIndex: 8 })).toThrow(InvalidOptionError);
  });

  it("fuzz: 25k inputs, malformed throw MalformedPacketError, valid round-trip (RFC 7741 4.2)", () => {
    const valid = (rng: SeededRandom): Uint8Array => {
      const bits = rng.int(0, 1) === 0 ? 7 : 15;
      const d = new Vp8PayloadDescriptor({
        nonReference: rng.int(0, 1) === 1,
        startOfPartition: rng.int(0, 1) === 1,
        partitionIndex: rng.int(0, 7),
        pictureIdBits: bits,
        pictureId: rng.int(0, 1) ? rng.int(0, bits === 7 ? 127 : 32767) : -1,
        tl0PicIdx: rng.int(0, 1) ? rng.int(0, 255) : -1,
        tid: rng.int(0, 1) ? rng.int(0, 3) : -1,
        keyIdx: rng.int(0, 1) ? rng.int(0, 31) : -1,
      });
      d.layerSync = d.tid >= 0 && rng.int(0, 1) === 1;
      return d.serialize();
    };
    const r = fuzz({ parse: (b) => Vp8PayloadDescriptor.parse(b), serialize: (d) => d.serialize(), valid }, 25_000, 7741);
    expect(r.parsed).toBeGreaterThan(10_000);
    expect(r.rejected).toBeGreaterThan(500);
  });
});
