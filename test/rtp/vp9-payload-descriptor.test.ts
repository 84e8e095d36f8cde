import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { Vp9PayloadDescriptor, vp9KeyframeSize } from "../../src/rtp/vp9-payload-descriptor.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "./fuzz-helper.js";

describe("Vp9PayloadDescriptor (RFC 9628 4.2)", () => {
  it("parses the flexible mode (F=1) with 15-bit PictureID, layer byte and P_DIFFs", () => {
    // I P L F B E V Z = 1 1 1 1 1 0 0 0 | M=1 PID=0x0102 | TID=1 U=1 SID=0 D=0 | P_DIFF 1 N=1, P_DIFF 3 N=0
    const d = Vp9PayloadDescriptor.parse(Uint8Array.of(0xf8, 0x81, 0x02, 0x30, 0x03, 0x06, 0xee));
    expect(d.interPicturePredicted).toBe(true);
    expect(d.flexibleMode).toBe(true);
    expect(d.beginningOfFrame).toBe(true);
    expect(d.endOfFrame).toBe(false);
    expect(d.pictureId).toBe(0x0102);
    expect(d.tid).toBe(1);
    expect(d.switchingUpPoint).toBe(true);
    expect(d.sid).toBe(0);
    expect(d.tl0PicIdx).toBe(-1);
    expect(d.pDiffs).toEqual([1, 3]);
    expect(d.headerLength).toBe(6);
    expect(d.isKeyframeStart).toBe(false);
    expect(Array.from(d.serialize())).toEqual([0xf8, 0x81, 0x02, 0x30, 0x03, 0x06]);
  });

  it("parses the non-flexible mode (F=0) with TL0PICIDX and a scalability structure (RFC 9628 4.2.1)", () => {
    const bytes = Uint8Array.of(
      0xae, // I=1 P=0 L=1 F=0 B=1 E=1 V=1 Z=0
      0x05, // 7-bit PictureID 5
      0x03, // TID=0 U=0 SID=1 D=1
      0x09, // TL0PICIDX
      0x38, // N_S=1 (2 layers) Y=1 G=1
      0x01, 0x40, 0x00, 0xb4, // 320x180
      0x02, 0x80, 0x01, 0x68, // 640x360
      0x02, // N_G=2
      0x04, 0x01, // TID=0 U=0 R=1, P_DIFF 1
      0x30, // TID=1 U=1 R=0
      0x99, // VP9 data
    );
    const d = Vp9PayloadDescriptor.parse(bytes);
    expect(d.flexibleMode).toBe(false);
    expect(d.pictureIdBits).toBe(7);
    expect(d.pictureId).toBe(5);
    expect(d.sid).toBe(1);
    expect(d.interLayerDependency).toBe(true);
    expect(d.tl0PicIdx).toBe(9);
    expect(d.ss).toEqual({
      numSpatialLayers: 2,
      resolutions: [
        { width: 320, height: 180 },
        { width: 640, height: 360 },
      ],
      pictureGroup: [
        { tid: 0, switchingUpPoint: false, pDiffs: [1] },
        { tid: 1, switchingUpPoint: true, pDiffs: [] },
      ],
    });
    expect(d.headerLength).toBe(bytes.length - 1);
    expect(d.serialize()).toEqual(bytes.subarray(0, bytes.length - 1));
  });

  it("keyframe start: P=0, B=1, base spatial layer", () => {
    expect(Vp9PayloadDescriptor.parse(Uint8Array.of(0x88, 0x01)).isKeyframeStart).toBe(true);
    expect(Vp9PayloadDescriptor.parse(Uint8Array.of(0x80, 0x01)).isKeyframeStart).toBe(false);
  });

  it.each([
    ["empty", []],
    ["I without PictureID", [0x80]],
    ["M without extended PID", [0x80, 0x80]],
    ["L without layer byte", [0x20]],
    ["non-flexible L without TL0PICIDX", [0x20, 0x00]],
    ["flexible P without P_DIFF", [0x50]],
    ["more than 3 P_DIFFs", [0x50, 0x03, 0x03, 0x03, 0x02]],
    ["V without SS", [0x02]],
    ["SS resolutions overrun", [0x02, 0x10, 0x01]],
    ["SS N_G missing", [0x02, 0x08]],
    ["SS group P_DIFF overrun", [0x02, 0x08, 0x01, 0x0c, 0x01]],
  ])("rejects %s", (_n, bytes) => {
    expect(() => Vp9PayloadDescriptor.parse(Uint8Array.from(bytes))).toThrow(MalformedPacketError);
  });

  it("validates fields when built", () => {
    expect(() => new Vp9PayloadDescriptor({ pDiffs: [1, 2, 3, 4] })).toThrow(InvalidOptionError);
    expect(() => new Vp9PayloadDescriptor({ pictureId: 0x8000 })).toThrow(InvalidOptionError);
  });

  it("reads the size of a VP9 keyframe from its uncompressed header", () => {
    // frame_marker=2, profile 0, show_existing=0, frame_type=0 (key), show=1, err_res=0,
    // sync code 49 83 42, color_space=0 (3 bits) color_range=0, width-1=639, height-1=479.
    const bits = "10" + "0" + "0" + "0" + "0" + "1" + "0" + "010010011000001101000010" + "000" + "0" + (639).toString(2).padStart(16, "0") + (479).toString(2).padStart(16, "0");
    const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, "0");
    const bytes = Uint8Array.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    expect(vp9KeyframeSize(bytes)).toEqual({ width: 640, height: 480 });
    expect(vp9KeyframeSize(bytes.subarray(0, 5))).toBeUndefined();
    expect(vp9KeyframeSize(Uint8Array.of(0x86))).toBeUndefined(); // inter frame
  });

  it("fuzz: 25k inputs, malformed throw MalformedPacketError, valid round-trip (RFC 9628 4.2)", () => {
    const valid = (rng: SeededRandom): Uint8Array => {
      const flexible = rng.int(0, 1) === 1;
      const p = rng.int(0, 1) === 1;
      const bits = rng.int(0, 1) === 0 ? 7 : 15;
      const d = new Vp9PayloadDescriptor({
        interPicturePredicted: p,
        flexibleMode: flexible,
        beginningOfFrame: rng.int(0, 1) === 1,
        endOfFrame: rng.int(0, 1) === 1,
        notReferenceForUpperSpatial: rng.int(0, 1) === 1,
        pictureIdBits: bits,
        pictureId: rng.int(0, 3) > 0 ? rng.int(0, bits === 7 ? 127 : 32767) : -1,
        tid: rng.int(0, 1) ? rng.int(0, 7) : -1,
        sid: rng.int(0, 7),
        switchingUpPoint: rng.int(0, 1) === 1,
        interLayerDependency: rng.int(0, 1) === 1,
        tl0PicIdx: rng.int(0, 255),
        pDiffs: flexible && p ? Array.from({ length: rng.int(1, 3) }, () => rng.int(1, 127)) : [],
      });
      if (d.tid < 0) d.sid = 0;
      if (d.tid < 0 || flexible) d.tl0PicIdx = -1;
      if (rng.int(0, 2) === 0) {
        const ns = rng.int(1, 8);
        d.ss = {
          numSpatialLayers: ns,
          resolutions: rng.int(0, 1) ? Array.from({ length: ns }, () => ({ width: rng.int(0, 65535), height: rng.int(0, 65535) })) : null,
          pictureGroup: rng.int(0, 1)
            ? Array.from({ length: rng.int(0, 4) }, () => ({ tid: rng.int(0, 7), switchingUpPoint: rng.int(0, 1) === 1, pDiffs: Array.from({ length: rng.int(0, 3) }, () => rng.int(0, 255)) }))
            : null,
        };
      }
      return d.serialize();
    };
    const r = fuzz({ parse: (b) => Vp9PayloadDescriptor.parse(b), serialize: (d) => d.serialize(), valid }, 25_000, 9628);
    expect(r.parsed).toBeGreaterThan(8000);
    expect(r.rejected).toBeGreaterThan(1000);
  });
});
