/**
 * Opus packet framing (RFC 6716 3.1, 3.2, 3.4) and packing several 20 ms frames into one RTP
 * packet (RFC 7587 4.2): hand-built packets of every frame count code, the malformed cases of
 * 3.4 R1-R7, and properties over random and mutated input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { opusFrameDurationUs, opusFrames, packOpusFrames, splitOpusPacket } from "../../src/rtp/opus-frame-packing.js";

/** `len` bytes that differ from frame to frame (seed) and along the frame. */
function frameBytes(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return b;
}

function concat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** TOC byte (RFC 6716 3.1): config << 3 | s << 2 | c. */
function toc(config: number, stereo: boolean, code: 0 | 1 | 2 | 3): number {
  return (config << 3) | (stereo ? 4 : 0) | code;
}

/** A code 0 packet (RFC 6716 3.2.2): TOC and one frame. */
function code0(config: number, stereo: boolean, frame: Uint8Array): Uint8Array {
  return concat([toc(config, stereo, 0)], frame);
}

function expectMalformed(fn: () => unknown, reason?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(MalformedPacketError);
  if (reason) expect((thrown as Error).message).toMatch(reason);
}

// CELT-only FB 20 ms (RFC 6716 Table 2, config 31); the config rtcpipe's encoder uses at high rates.
const CELT_FB_20 = 31;
const CELT_FB_10 = 30;
const HYBRID_FB_20 = 15;
const SILK_WB_60 = 11;

describe("opusFrameDurationUs (RFC 6716 3.1, Table 2)", () => {
  // Table 2, written out by hand: config ranges, mode and frame sizes.
  const table: [number, string, number][] = [
    [0, "SILK NB 10 ms", 10_000],
    [1, "SILK NB 20 ms", 20_000],
    [2, "SILK NB 40 ms", 40_000],
    [3, "SILK NB 60 ms", 60_000],
    [4, "SILK MB 10 ms", 10_000],
    [5, "SILK MB 20 ms", 20_000],
    [6, "SILK MB 40 ms", 40_000],
    [7, "SILK MB 60 ms", 60_000],
    [8, "SILK WB 10 ms", 10_000],
    [9, "SILK WB 20 ms", 20_000],
    [10, "SILK WB 40 ms", 40_000],
    [11, "SILK WB 60 ms", 60_000],
    [12, "Hybrid SWB 10 ms", 10_000],
    [13, "Hybrid SWB 20 ms", 20_000],
    [14, "Hybrid FB 10 ms", 10_000],
    [15, "Hybrid FB 20 ms", 20_000],
    [16, "CELT NB 2.5 ms", 2_500],
    [17, "CELT NB 5 ms", 5_000],
    [18, "CELT NB 10 ms", 10_000],
    [19, "CELT NB 20 ms", 20_000],
    [20, "CELT WB 2.5 ms", 2_500],
    [21, "CELT WB 5 ms", 5_000],
    [22, "CELT WB 10 ms", 10_000],
    [23, "CELT WB 20 ms", 20_000],
    [24, "CELT SWB 2.5 ms", 2_500],
    [25, "CELT SWB 5 ms", 5_000],
    [26, "CELT SWB 10 ms", 10_000],
    [27, "CELT SWB 20 ms", 20_000],
    [28, "CELT FB 2.5 ms", 2_500],
    [29, "CELT FB 5 ms", 5_000],
    [30, "CELT FB 10 ms", 10_000],
    [31, "CELT FB 20 ms", 20_000],
  ];

  it.each(table)("RFC 6716 3.1 Table 2: config %i (%s) is %i µs per frame", (config, _name, us) => {
    expect(opusFrameDurationUs(config << 3)).toBe(us);
  });

  it("RFC 6716 3.1: the stereo bit and the frame count code do not change the frame duration", () => {
    for (const [config, , us] of table) {
      for (let low = 0; low < 8; low++) expect(opusFrameDurationUs((config << 3) | low)).toBe(us);
    }
  });
});

describe("opusFrames on hand-built packets (RFC 6716 3.2)", () => {
  it("RFC 6716 3.2.2: code 0 is one frame, the bytes after the TOC", () => {
    const f = frameBytes(57, 1);
    const p = code0(CELT_FB_20, false, f);
    const frames = opusFrames(p);
    expect(frames).toHaveLength(1);
    expect(hex(frames[0]!)).toBe(hex(f));
  });

  it("RFC 6716 3.2.2 / 3.4 R1: a code 0 packet of only the TOC byte is one 0-byte frame (DTX)", () => {
    const frames = opusFrames(Uint8Array.of(toc(9, false, 0)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.length).toBe(0);
  });

  it("RFC 6716 3.2.2: a code 0 frame of 1275 bytes (the largest, 3.2.1) parses", () => {
    const f = frameBytes(1275, 2);
    const frames = opusFrames(code0(CELT_FB_20, true, f));
    expect(frames).toHaveLength(1);
    expect(hex(frames[0]!)).toBe(hex(f));
  });

  it("RFC 6716 3.2.3: code 1 is two frames of equal size, half of the bytes after the TOC each", () => {
    const a = frameBytes(33, 3);
    const b = frameBytes(33, 4);
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 1)], a, b));
    expect(frames).toHaveLength(2);
    expect(hex(frames[0]!)).toBe(hex(a));
    expect(hex(frames[1]!)).toBe(hex(b));
  });

  it("RFC 6716 3.2.3 / 3.4 R3: a code 1 packet of only the TOC (N = 1, odd) is two 0-byte frames", () => {
    const frames = opusFrames(Uint8Array.of(toc(CELT_FB_20, false, 1)));
    expect(frames.map((f) => f.length)).toEqual([0, 0]);
  });

  it("RFC 6716 3.2.4 / 3.2.1: code 2 with a one-byte first-frame length (0-251)", () => {
    const a = frameBytes(251, 5);
    const b = frameBytes(9, 6);
    const frames = opusFrames(concat([toc(HYBRID_FB_20, true, 2), 251], a, b));
    expect(frames).toHaveLength(2);
    expect(hex(frames[0]!)).toBe(hex(a));
    expect(hex(frames[1]!)).toBe(hex(b));
  });

  it("RFC 6716 3.2.4 / 3.2.1: code 2 with a two-byte first-frame length (300 = 4 x 12 + 252)", () => {
    const a = frameBytes(300, 7);
    const b = frameBytes(20, 8);
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 2), 252, 12], a, b));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.length).toBe(300);
    expect(hex(frames[0]!)).toBe(hex(a));
    expect(hex(frames[1]!)).toBe(hex(b));
  });

  it("RFC 6716 3.2.1: every first byte 252..255 of a two-byte length counts as itself (1275 = 4 x 255 + 255)", () => {
    // [b0, b1, length] worked out by hand from length = 4 * b1 + b0.
    const cases: [number, number, number][] = [
      [252, 0, 252],
      [253, 0, 253],
      [254, 0, 254],
      [255, 0, 255],
      [252, 1, 256],
      [255, 255, 1275],
    ];
    for (const [b0, b1, len] of cases) {
      const a = frameBytes(len, len);
      const b = frameBytes(3, 9);
      const frames = opusFrames(concat([toc(CELT_FB_20, false, 2), b0, b1], a, b));
      expect(frames.map((f) => f.length)).toEqual([len, 3]);
      expect(hex(frames[0]!)).toBe(hex(a));
      expect(hex(frames[1]!)).toBe(hex(b));
    }
  });

  it("RFC 6716 3.2.4: code 2 with a 0-byte first frame (DTX) and a 0-byte second frame", () => {
    expect(opusFrames(Uint8Array.of(toc(CELT_FB_20, false, 2), 0)).map((f) => f.length)).toEqual([0, 0]);
    const b = frameBytes(5, 10);
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 2), 0], b));
    expect(frames[0]!.length).toBe(0);
    expect(hex(frames[1]!)).toBe(hex(b));
  });

  it("RFC 6716 3.2.5: code 3 CBR, three frames of equal size", () => {
    const fs = [frameBytes(40, 11), frameBytes(40, 12), frameBytes(40, 13)];
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 3), 0x03], ...fs));
    expect(frames).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5: code 3 VBR, M - 1 lengths (one- and two-byte, 3.2.1), the last frame implicit", () => {
    const fs = [frameBytes(17, 14), frameBytes(600, 15), frameBytes(0, 16), frameBytes(80, 17)];
    // 600 = 4 x 87 + 252
    const frames = opusFrames(concat([toc(CELT_FB_10, true, 3), 0x80 | 4, 17, 252, 87, 0], ...fs));
    expect(frames.map((f) => f.length)).toEqual([17, 600, 0, 80]);
    for (let i = 0; i < 4; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5: code 3 CBR with padding (one padding length byte); the padding is not a frame", () => {
    const fs = [frameBytes(5, 18), frameBytes(5, 19)];
    const padding = new Uint8Array(7).fill(0xee);
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 3), 0x40 | 2, 7], ...fs, padding));
    expect(frames).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5: code 3 padding length 255 means 254 plus the next byte (255, 10 = 264 bytes)", () => {
    const fs = [frameBytes(5, 20), frameBytes(5, 21)];
    const padding = new Uint8Array(264).fill(0);
    const p = concat([toc(CELT_FB_20, false, 3), 0x40 | 2, 255, 10], ...fs, padding);
    expect(p.length).toBe(1 + 1 + 2 + 10 + 264);
    const frames = opusFrames(p);
    expect(frames).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5: code 3 padding of 255, 255, 3 = 254 + 254 + 3 bytes, with VBR frames", () => {
    const fs = [frameBytes(12, 22), frameBytes(4, 23), frameBytes(30, 24)];
    const padding = new Uint8Array(254 + 254 + 3).fill(0x55);
    const frames = opusFrames(concat([toc(CELT_FB_20, true, 3), 0x80 | 0x40 | 3, 255, 255, 3, 12, 4], ...fs, padding));
    expect(frames.map((f) => f.length)).toEqual([12, 4, 30]);
    for (let i = 0; i < 3; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5: code 3 with padding length 0 (the p bit set, nothing padded)", () => {
    const fs = [frameBytes(3, 25), frameBytes(3, 26)];
    const frames = opusFrames(concat([toc(CELT_FB_20, false, 3), 0x40 | 2, 0], ...fs));
    expect(frames).toHaveLength(2);
    for (let i = 0; i < 2; i++) expect(hex(frames[i]!)).toBe(hex(fs[i]!));
  });

  it("RFC 6716 3.2.5 / 3.4 R5: code 3 with exactly 120 ms (6 x 20 ms, 48 x 2.5 ms) parses", () => {
    expect(opusFrames(concat([toc(CELT_FB_20, false, 3), 6], new Uint8Array(12)))).toHaveLength(6);
    expect(opusFrames(concat([toc(28, false, 3), 48], new Uint8Array(48)))).toHaveLength(48);
    expect(opusFrames(concat([toc(SILK_WB_60, false, 3), 2], new Uint8Array(10)))).toHaveLength(2);
  });

  it("RFC 6716 3.2.5: code 3 CBR frames of 0 bytes (DTX) parse", () => {
    const frames = opusFrames(Uint8Array.of(toc(CELT_FB_20, false, 3), 3));
    expect(frames.map((f) => f.length)).toEqual([0, 0, 0]);
  });
});

describe("opusFrames rejects malformed packets with MalformedPacketError (RFC 6716 3.4)", () => {
  const T = (code: 0 | 1 | 2 | 3) => toc(CELT_FB_20, false, code);

  it("RFC 6716 3.4 R1: an empty packet", () => {
    expectMalformed(() => opusFrames(new Uint8Array(0)), /R1/);
  });

  it("RFC 6716 3.4 R3: code 1 with an odd number of bytes after the TOC", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(1), 1, 2, 3)), /R3/);
    expectMalformed(() => opusFrames(Uint8Array.of(T(1), 1)), /R3/);
  });

  it("RFC 6716 3.4 R4: code 2 whose first-frame length runs past the end", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(2), 10, 1, 2, 3)), /R4/);
    // 300-byte first frame announced, 299 bytes there.
    expectMalformed(() => opusFrames(concat([T(2), 252, 12], new Uint8Array(299))), /R4/);
  });

  it("RFC 6716 3.4 R4 / 3.2.1: code 2 with no length byte, or half of a two-byte length", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(2))));
    expectMalformed(() => opusFrames(Uint8Array.of(T(2), 252)));
    expectMalformed(() => opusFrames(Uint8Array.of(T(2), 255)));
  });

  it("RFC 6716 3.4 R5/R6: code 3 without its frame count byte", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3))));
  });

  it("RFC 6716 3.4 R5: code 3 with 0 frames (CBR and VBR)", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x00)), /R5/);
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x80, 1, 2)), /R5/);
  });

  it("RFC 6716 3.4 R5: code 3 with more than 120 ms (7 x 20 ms CELT, 3 x 60 ms SILK, 49 x 2.5 ms)", () => {
    expectMalformed(() => opusFrames(concat([T(3), 7], new Uint8Array(7))), /R5/);
    expectMalformed(() => opusFrames(concat([toc(SILK_WB_60, false, 3), 3], new Uint8Array(9))), /R5/);
    expectMalformed(() => opusFrames(concat([toc(28, false, 3), 49], new Uint8Array(49))), /R5/);
  });

  it("RFC 6716 3.4 R6: code 3 VBR frame lengths that run past the end", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x80 | 2, 10, 1, 2, 3)), /R6/);
    // Two lengths of 3 each fit one by one but not together.
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x80 | 3, 3, 3, 1, 2, 3, 4)), /R6/);
    // The length bytes themselves are missing.
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x80 | 3, 0)));
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x80 | 2, 252)));
  });

  it("RFC 6716 3.4 R6: code 3 VBR frame lengths that run into the padding", () => {
    // TOC, v p M=2, 2 bytes of padding, first frame 4 bytes: 4 frame bytes + 2 padding fit N but not N - P.
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0xc0 | 2, 2, 4, 1, 2, 3, 0, 0)), /R6/);
    // One byte less and it fits: 3 bytes, then a 0-byte last frame, then the padding.
    expect(opusFrames(Uint8Array.of(T(3), 0xc0 | 2, 2, 3, 1, 2, 3, 0, 0)).map((f) => Array.from(f))).toEqual([[1, 2, 3], []]);
  });

  it("RFC 6716 3.4 R7: code 3 CBR whose frames do not divide the packet evenly", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 3, 1, 2, 3, 4)), /R7/);
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 2, 1)), /R7/);
  });

  it("RFC 6716 3.4 R6/R7: code 3 padding longer than the packet", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x40 | 1, 20, 1, 2)), /R6\/R7/);
    expectMalformed(() => opusFrames(concat([T(3), 0x40 | 1, 255, 10], new Uint8Array(263))), /R6\/R7/);
    expectMalformed(() => opusFrames(concat([T(3), 0x80 | 0x40 | 2, 5, 3], new Uint8Array(4))));
  });

  it("RFC 6716 3.4 R6/R7: code 3 whose padding length bytes run past the packet", () => {
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x40 | 1)));
    expectMalformed(() => opusFrames(Uint8Array.of(T(3), 0x40 | 1, 255)));
  });

  it("RFC 6716 3.2.1 / 3.4 R2: a frame longer than 1275 bytes, in every code", () => {
    expectMalformed(() => opusFrames(concat([T(0)], new Uint8Array(1276))), /1276-byte frame/);
    expectMalformed(() => opusFrames(concat([T(1)], new Uint8Array(2 * 1276))), /1276-byte frame/);
    expectMalformed(() => opusFrames(concat([T(2), 10], new Uint8Array(10 + 1276))), /1276-byte frame/);
    expectMalformed(() => opusFrames(concat([T(3), 1], new Uint8Array(1276))), /1276-byte frame/);
    expectMalformed(() => opusFrames(concat([T(3), 2], new Uint8Array(2 * 1276))), /1276-byte frame/);
    expectMalformed(() => opusFrames(concat([T(3), 0x80 | 2, 1], new Uint8Array(1 + 1276))), /1276-byte frame/);
  });
});

describe("packOpusFrames (RFC 6716 3.2.5, RFC 7587 4.2)", () => {
  const f1 = frameBytes(40, 31);
  const f2 = frameBytes(300, 32);
  const f3 = frameBytes(7, 33);
  const p1 = code0(CELT_FB_20, true, f1);
  const p2 = code0(CELT_FB_20, true, f2);
  const p3 = code0(CELT_FB_20, true, f3);

  it("RFC 6716 3.2.5: three code 0 packets become one code 3 VBR packet of their frames in order", () => {
    const packed = packOpusFrames([p1, p2, p3])!;
    expect(packed).toBeDefined();
    // TOC keeps config 31 and the stereo bit, code 3.
    expect(packed[0]).toBe(toc(CELT_FB_20, true, 3));
    expect(packed[0]! >> 3).toBe(CELT_FB_20);
    expect(packed[0]! & 4).toBe(4);
    // v = 1, p = 0, M = 3.
    expect(packed[1]).toBe(0x80 | 3);
    const frames = opusFrames(packed);
    expect(frames).toHaveLength(3);
    expect(hex(frames[0]!)).toBe(hex(f1));
    expect(hex(frames[1]!)).toBe(hex(f2));
    expect(hex(frames[2]!)).toBe(hex(f3));
  });

  it("RFC 6716 3.2.5 / 3.2.1: the packed bytes are TOC, count, 40, 252 12 (300 = 4 x 12 + 252), then the frames", () => {
    const expected = concat([toc(CELT_FB_20, true, 3), 0x83, 40, 252, 12], f1, f2, f3);
    expect(hex(packOpusFrames([p1, p2, p3])!)).toBe(hex(expected));
  });

  it("RFC 6716 3.2.5: packing keeps 0-byte (DTX) frames, and a mono SILK config", () => {
    const a = code0(9, false, new Uint8Array(0));
    const b = code0(9, false, frameBytes(20, 34));
    const packed = packOpusFrames([a, b, a])!;
    expect(hex(packed)).toBe(hex(concat([toc(9, false, 3), 0x83, 0, 20], frameBytes(20, 34))));
    expect(opusFrames(packed).map((f) => f.length)).toEqual([0, 20, 0]);
  });

  it("RFC 7587 4.2: six 20 ms frames (120 ms) share one packet", () => {
    const ps = [0, 1, 2, 3, 4, 5].map((i) => code0(CELT_FB_20, false, frameBytes(10 + i, 40 + i)));
    const packed = packOpusFrames(ps)!;
    expect(packed).toBeDefined();
    expect(packed[1]).toBe(0x80 | 6);
    expect(opusFrames(packed).map(hex)).toEqual(ps.map((p) => hex(p.subarray(1))));
  });

  it("RFC 7587 4.2: one packet comes back unchanged", () => {
    expect(packOpusFrames([p1])).toBe(p1);
  });

  it("RFC 6716 3.2.5: returns undefined for packets of different configs or stereo bits", () => {
    expect(packOpusFrames([p1, code0(HYBRID_FB_20, true, f2)])).toBeUndefined();
    expect(packOpusFrames([p1, p2, code0(CELT_FB_20, false, f3)])).toBeUndefined();
    expect(packOpusFrames([code0(CELT_FB_10, true, f1), p2])).toBeUndefined();
  });

  it("RFC 6716 3.2.2-3.2.5: returns undefined when an input is not a code 0 packet", () => {
    const code1 = concat([toc(CELT_FB_20, true, 1)], f3, f3);
    expect(packOpusFrames([p1, code1])).toBeUndefined();
    expect(packOpusFrames([code1, p1])).toBeUndefined();
    expect(packOpusFrames([p1, Uint8Array.of(toc(CELT_FB_20, true, 3), 1)])).toBeUndefined();
    expect(packOpusFrames([p1, new Uint8Array(0)])).toBeUndefined();
  });

  it("RFC 7587 4.2: returns undefined for an empty list", () => {
    expect(packOpusFrames([])).toBeUndefined();
  });

  it("RFC 7587 4.2 / RFC 6716 3.4 R5: returns undefined for more than 120 ms (7 x 20 ms, 3 x 60 ms)", () => {
    const seven = [0, 1, 2, 3, 4, 5, 6].map((i) => code0(CELT_FB_20, false, frameBytes(5, i)));
    expect(packOpusFrames(seven)).toBeUndefined();
    const sixties = [0, 1, 2].map((i) => code0(SILK_WB_60, false, frameBytes(30, i)));
    expect(packOpusFrames(sixties)).toBeUndefined();
  });

  it("RFC 6716 3.2.1: returns undefined when a frame is longer than 1275 bytes", () => {
    expect(packOpusFrames([p1, code0(CELT_FB_20, true, new Uint8Array(1276))])).toBeUndefined();
    expect(packOpusFrames([code0(CELT_FB_20, true, new Uint8Array(1276)), p1])).toBeUndefined();
  });
});

describe("splitOpusPacket (RFC 6716 3.2, RFC 7587 4.2)", () => {
  const ps = [frameBytes(40, 51), frameBytes(300, 52), frameBytes(7, 53)].map((f) => code0(CELT_FB_20, true, f));

  it("RFC 6716 3.2.5: the packed packet splits back into the three code 0 packets byte for byte", () => {
    const packed = packOpusFrames(ps)!;
    const split = splitOpusPacket(packed);
    expect(split.map(hex)).toEqual(ps.map(hex));
  });

  it("RFC 6716 3.2.5: a code 3 CBR packet with padding splits into code 0 packets without the padding", () => {
    const fs = [frameBytes(6, 54), frameBytes(6, 55)];
    const t0 = toc(HYBRID_FB_20, false, 0);
    const split = splitOpusPacket(concat([toc(HYBRID_FB_20, false, 3), 0x40 | 2, 3], ...fs, [9, 9, 9]));
    expect(split.map(hex)).toEqual([hex(concat([t0], fs[0]!)), hex(concat([t0], fs[1]!))]);
  });

  it("RFC 6716 3.2.3: a code 1 packet of two 20 ms frames splits into two code 0 packets", () => {
    const a = frameBytes(11, 56);
    const b = frameBytes(11, 57);
    const split = splitOpusPacket(concat([toc(9, true, 1)], a, b));
    expect(split.map(hex)).toEqual([hex(concat([toc(9, true, 0)], a)), hex(concat([toc(9, true, 0)], b))]);
  });

  it("RFC 6716 3.2.2: a single-frame packet comes back as it is", () => {
    const p = ps[1]!;
    const split = splitOpusPacket(p);
    expect(split).toHaveLength(1);
    expect(split[0]).toBe(p);
  });

  it("RFC 6716 3.2.5: a code 3 packet of one frame comes back as it is", () => {
    const p = concat([toc(CELT_FB_20, false, 3), 1], frameBytes(9, 58));
    const split = splitOpusPacket(p);
    expect(split).toHaveLength(1);
    expect(split[0]).toBe(p);
  });

  it("RFC 6716 3.1: two 10 ms frames (code 1) are not 20 ms frames and come back as they are", () => {
    const p = concat([toc(CELT_FB_10, false, 1)], frameBytes(8, 59), frameBytes(8, 60));
    const split = splitOpusPacket(p);
    expect(split).toHaveLength(1);
    expect(hex(split[0]!)).toBe(hex(p));
  });

  it("RFC 6716 3.1: one 60 ms SILK frame, and two 60 ms frames (code 3), come back as they are", () => {
    const one = code0(SILK_WB_60, false, frameBytes(90, 61));
    expect(splitOpusPacket(one).map(hex)).toEqual([hex(one)]);
    const two = concat([toc(SILK_WB_60, false, 3), 2], frameBytes(10, 62));
    expect(splitOpusPacket(two).map(hex)).toEqual([hex(two)]);
  });

  it("RFC 6716 3.4: a malformed packet throws MalformedPacketError", () => {
    expectMalformed(() => splitOpusPacket(new Uint8Array(0)), /R1/);
    expectMalformed(() => splitOpusPacket(Uint8Array.of(toc(CELT_FB_20, false, 3), 0x80 | 2, 10, 1)));
  });
});

describe("properties (RFC 6716 3.2, 3.4; RFC 7587 4.2)", () => {
  // The 20 ms configs of RFC 6716 Table 2: SILK NB/MB/WB, hybrid SWB/FB, CELT NB/WB/SWB/FB.
  const configs20 = [1, 5, 9, 13, 15, 19, 23, 27, 31];

  /** 1-6 code 0 packets of one 20 ms config, frames of 0-1275 bytes. */
  const packetLists = fc
    .tuple(
      fc.constantFrom(...configs20),
      fc.boolean(),
      fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 1275 }), fc.integer({ min: 0, max: 260 })), fc.nat(255)), { minLength: 1, maxLength: 6 }),
    )
    .map(([config, stereo, frames]) => frames.map(([len, seed]) => code0(config, stereo, frameBytes(len, seed))));

  /** Bytes a code 3 VBR packet of these frames needs by RFC 6716 3.2.5 and 3.2.1. */
  function expectedPackedLength(ps: Uint8Array[]): number {
    if (ps.length === 1) return ps[0]!.length;
    let n = 2;
    ps.forEach((p, i) => {
      const len = p.length - 1;
      n += len;
      if (i < ps.length - 1) n += len < 252 ? 1 : 2;
    });
    return n;
  }

  it("RFC 7587 4.2 / RFC 6716 3.2.5: pack then split gives 1-6 random 20 ms code 0 packets back", () => {
    fc.assert(
      fc.property(packetLists, (ps) => {
        const packed = packOpusFrames(ps);
        // Up to 6 x 20 ms = 120 ms always fits one packet.
        expect(packed).toBeDefined();
        expect(packed!.length).toBe(expectedPackedLength(ps));
        expect(opusFrames(packed!).map(hex)).toEqual(ps.map((p) => hex(p.subarray(1))));
        expect(splitOpusPacket(packed!).map(hex)).toEqual(ps.map(hex));
      }),
      { numRuns: 500, seed: 6716 },
    );
  });

  /** Checks what opusFrames/splitOpusPacket make of any bytes; returns "ok" or "malformed". */
  function check(bytes: Uint8Array): "ok" | "malformed" {
    let frames: Uint8Array[];
    try {
      frames = opusFrames(bytes);
    } catch (err) {
      if (!(err instanceof MalformedPacketError)) throw err;
      // splitOpusPacket parses the same framing, so it must reject the same bytes the same way.
      expectMalformed(() => splitOpusPacket(bytes));
      return "malformed";
    }
    const n = bytes.length;
    const code = bytes[0]! & 3;
    // Framing overhead at least: TOC (all codes), a length byte (code 2), a count byte (code 3).
    const overhead = code < 2 ? 1 : 2;
    const total = frames.reduce((a, f) => a + f.length, 0);
    expect(total + overhead).toBeLessThanOrEqual(n);
    expect(frames.length).toBeGreaterThanOrEqual(1);
    // RFC 6716 3.4 R5: at most 120 ms; R2 / 3.2.1: no frame over 1275 bytes.
    expect(frames.length * opusFrameDurationUs(bytes[0]!)).toBeLessThanOrEqual(120_000);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(1275);
    if (code === 0) expect(frames.length).toBe(1);
    if (code === 0) expect(total).toBe(n - 1);
    if (code === 1) expect(frames.map((f) => f.length)).toEqual([(n - 1) / 2, (n - 1) / 2]);
    if (code === 2) expect(frames).toHaveLength(2);
    if (code === 3) expect(frames).toHaveLength(bytes[1]! & 0x3f);
    // The frames lie inside the packet, in order, without overlapping.
    let prevEnd = bytes.byteOffset + 1;
    for (const f of frames) {
      expect(f.buffer).toBe(bytes.buffer);
      expect(f.byteOffset).toBeGreaterThanOrEqual(prevEnd);
      prevEnd = f.byteOffset + f.length;
    }
    expect(prevEnd).toBeLessThanOrEqual(bytes.byteOffset + n);

    const split = splitOpusPacket(bytes);
    if (split.length === 1) {
      expect(hex(split[0]!)).toBe(hex(bytes));
    } else {
      expect(split).toHaveLength(frames.length);
      expect(opusFrameDurationUs(bytes[0]!)).toBe(20_000);
      const splitTotal = split.reduce((a, p) => a + p.length - 1, 0);
      expect(splitTotal + overhead).toBeLessThanOrEqual(n);
      split.forEach((p, i) => {
        expect(p[0]).toBe(bytes[0]! & 0xfc);
        expect(hex(p.subarray(1))).toBe(hex(frames[i]!));
      });
    }
    return "ok";
  }

  it("RFC 6716 3.4: random bytes (0-64) either parse within the packet or throw MalformedPacketError", () => {
    const counts = { ok: 0, malformed: 0 };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        counts[check(bytes)]++;
      }),
      { numRuns: 2000, seed: 34 },
    );
    // Both outcomes occur, so the property checked something on each side.
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.malformed).toBeGreaterThan(0);
  });

  it("RFC 6716 3.4: mutations of valid packed packets either parse within the packet or throw MalformedPacketError", () => {
    const mutated = fc
      .tuple(
        packetLists.filter((ps) => ps.length > 1),
        fc.array(fc.tuple(fc.nat(7), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([ps, muts]) => {
        let b: Uint8Array = packOpusFrames(ps)!.slice();
        for (const [op, where, value] of muts) {
          if (op <= 2 && b.length > 0) b[where % b.length] = value; // any byte
          else if (op === 3 && b.length > 0) b[where % Math.min(b.length, 6)] = value; // the header bytes
          else if (op === 4 && b.length > 1) b[1] = b[1]! ^ (1 << (value % 8)); // the count byte's bits
          else if (op === 5) b = b.subarray(0, where % (b.length + 1)); // truncate
          else if (op === 6) b = concat(b, new Uint8Array(value % 40).fill(value)); // extend
          else if (b.length > 0) b[0] = value; // another TOC
        }
        return b;
      });
    const counts = { ok: 0, malformed: 0 };
    fc.assert(
      fc.property(mutated, (bytes) => {
        counts[check(bytes)]++;
      }),
      { numRuns: 2000, seed: 7587 },
    );
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.malformed).toBeGreaterThan(0);
  });
});
