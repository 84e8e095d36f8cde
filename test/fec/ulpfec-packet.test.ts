import { describe, expect, it } from "vitest";
import { InvalidOptionError, MalformedPacketError } from "../../src/errors.js";
import { UlpfecPacket } from "../../src/fec/ulpfec-packet.js";
import { protectPackets, recoverPacket, xorPacketsFor } from "../../src/fec/ulpfec-parity.js";
import { fecMaskTable } from "../../src/fec/fec-mask-table.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

/** RFC 5109 10.2 bit string of one packet, built literally from the RFC text. */
function bitString(p: Uint8Array): Uint8Array {
  const s = new Uint8Array(8 + p.length - 12);
  s[0] = p[0]!; // V, P, X, CC
  s[1] = p[1]!; // M, PT
  const len = p.length - 12;
  s[2] = len >> 8;
  s[3] = len & 0xff;
  s.set(p.subarray(4, 8), 4); // timestamp
  s.set(p.subarray(12), 8); // CSRCs, extension, payload, padding
  return s;
}

function media(rng: SeededRandom, seq: number, ssrc: number): RtpPacket {
  const p = new RtpPacket({
    payloadType: rng.int(96, 127), sequenceNumber: seq, timestamp: rng.nextUint32(), ssrc, marker: rng.next() < 0.3,
    csrcs: rng.next() < 0.2 ? [rng.nextUint32()] : [], payload: rng.fill(new Uint8Array(rng.int(0, 1188))), paddingLength: rng.next() < 0.1 ? rng.int(1, 20) : 0,
  });
  if (rng.next() < 0.3) p.setExtension(rng.int(1, 14), rng.fill(new Uint8Array(rng.int(1, 8))));
  return p;
}

describe("UlpfecPacket (RFC 5109 section 7)", () => {
  it("RFC 5109 7.3/7.4: header fields and a 16-bit mask at fixed positions", () => {
    const fec = new UlpfecPacket({ headerRecovery: 0x25, markerPtRecovery: 0xe0, snBase: 0xfffe, tsRecovery: 0x01020304, lengthRecovery: 0x0506, protectedOffsets: [0, 2, 15], payload: new Uint8Array([9, 9]) });
    const b = fec.serialize();
    expect(Array.from(b)).toEqual([0x25, 0xe0, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 0, 2, 0b10100000, 0b00000001, 9, 9]);
    const back = UlpfecPacket.parse(b);
    expect(back.longMask).toBe(false);
    expect(back.protectedOffsets).toEqual([0, 2, 15]);
    expect(back.protectionLength).toBe(2);
  });

  it("RFC 5109 7.4: L=1 gives a 48-bit mask when an offset is 16 or more", () => {
    const fec = new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 0, snBase: 1, tsRecovery: 0, lengthRecovery: 0, protectedOffsets: [0, 16, 47], payload: new Uint8Array(0) });
    const b = fec.serialize();
    expect(b.length).toBe(18);
    expect(b[0]! & 0x40).toBe(0x40);
    expect(Array.from(b.subarray(12, 18))).toEqual([0x80, 0, 0x80, 0, 0, 0x01]);
    expect(UlpfecPacket.parse(b).protectedOffsets).toEqual([0, 16, 47]);
  });

  it("rejects the E bit, an empty mask, short packets and overrunning protection lengths", () => {
    const ok = new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 0, snBase: 1, tsRecovery: 0, lengthRecovery: 0, protectedOffsets: [0], payload: new Uint8Array(4) }).serialize();
    const e = ok.slice(); e[0] = e[0]! | 0x80;
    const empty = ok.slice(); empty[12] = 0;
    const over = ok.slice(); over[11] = 5;
    for (const bad of [e, empty, over, ok.subarray(0, 13)]) expect(() => UlpfecPacket.parse(bad)).toThrow(MalformedPacketError);
    expect(() => new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 0, snBase: 0, tsRecovery: 0, lengthRecovery: 0, protectedOffsets: [], payload: ok })).toThrow(InvalidOptionError);
    expect(() => new UlpfecPacket({ headerRecovery: 0, markerPtRecovery: 0, snBase: 0, tsRecovery: 0, lengthRecovery: 0, protectedOffsets: [3, 1], payload: ok })).toThrow(InvalidOptionError);
  });

  it.each(["wasm", "typescript"] as const)("RFC 5109 10.2: protection equals the XOR of the RFC bit strings (%s XOR)", (engine) => {
    const rng = new SeededRandom(5109);
    const xor = xorPacketsFor(engine);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 12);
      const pkts = Array.from({ length: n }, (_, i) => media(rng, 1000 + 2 * i, 7).serialize());
      const offsets = pkts.map((_, i) => 2 * i);
      const fec = protectPackets(pkts, offsets, 1000, xor);
      const strings = pkts.map(bitString);
      const maxLen = Math.max(...strings.map((s) => s.length));
      const want = new Uint8Array(maxLen);
      for (const s of strings) for (let i = 0; i < s.length; i++) want[i]! ^= s[i]!;
      expect(fec.headerRecovery).toBe(want[0]! & 0x3f);
      expect(fec.markerPtRecovery).toBe(want[1]);
      expect(fec.lengthRecovery).toBe((want[2]! << 8) | want[3]!);
      expect(fec.tsRecovery).toBe(((want[4]! << 24) | (want[5]! << 16) | (want[6]! << 8) | want[7]!) >>> 0);
      expect(fec.payload).toEqual(want.subarray(8));
      expect(fec.protectedOffsets).toEqual(offsets);
      // RFC 5109 6.3: any one packet comes back byte-exact from the others.
      const lost = rng.int(0, n - 1);
      const rec = recoverPacket(UlpfecPacket.parse(fec.serialize()), pkts.filter((_, i) => i !== lost), 1000 + 2 * lost, 7, xor);
      expect(rec).toEqual(pkts[lost]);
    }
  });

  it("mask tables: every media packet protected exactly once; bursty interleaves", () => {
    for (let k = 1; k <= 48; k++) {
      for (let m = 1; m <= k; m++) {
        for (const type of ["random", "bursty"] as const) {
          const masks = fecMaskTable(k, m, type);
          expect(masks.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
          expect(masks.every((x) => x.length > 0)).toBe(true);
        }
      }
    }
    expect(fecMaskTable(8, 2, "random")).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(fecMaskTable(8, 2, "bursty")).toEqual([[0, 2, 4, 6], [1, 3, 5, 7]]);
  });

  it("fuzz: ~20k random and mutated inputs only ever throw MalformedPacketError", () => {
    const r = fuzz(
      {
        parse: (b) => UlpfecPacket.parse(b),
        serialize: (v) => v.serialize(),
        valid: (rng: SeededRandom) => {
          const offs = [...new Set(Array.from({ length: rng.int(1, 10) }, () => rng.int(0, rng.next() < 0.5 ? 15 : 47)))].sort((a, b) => a - b);
          return new UlpfecPacket({
            headerRecovery: rng.int(0, 63), markerPtRecovery: rng.int(0, 255), snBase: rng.int(0, 65535), tsRecovery: rng.nextUint32(),
            lengthRecovery: rng.int(0, 65535), protectedOffsets: offs, payload: rng.fill(new Uint8Array(rng.int(0, 60))), longMask: rng.next() < 0.2,
          }).serialize();
        },
      },
      20_000,
      5109,
    );
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(500);
  });
});
