import { describe, expect, it } from "vitest";
import type { CodecName, EncodedFrame } from "../../src/codec/encoded-frame.js";
import { InvalidOptionError } from "../../src/errors.js";
import { sinkTo } from "../../src/pipeline/stage.js";
import { Depacketizer } from "../../src/rtp/depacketizer.js";
import { Packetizer } from "../../src/rtp/packetizer.js";
import { RtpPacket } from "../../src/rtp/rtp-packet.js";
import { Vp8PayloadDescriptor } from "../../src/rtp/vp8-payload-descriptor.js";
import { Vp9PayloadDescriptor } from "../../src/rtp/vp9-payload-descriptor.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { vp8Frame } from "./frames-helper.js";

function depack(codec: CodecName, payloadType?: number): { d: Depacketizer; frames: EncodedFrame[] } {
  const d = new Depacketizer(payloadType === undefined ? { codec } : { codec, payloadType });
  const frames: EncodedFrame[] = [];
  d.pipe(sinkTo((f) => frames.push(f)));
  return { d, frames };
}

/** Packetizes `frames` and returns the packets of each frame. */
function packetize(codec: CodecName, frames: EncodedFrame[], extra: Partial<ConstructorParameters<typeof Packetizer>[0]> = {}): RtpPacket[][] {
  const p = new Packetizer({ codec, payloadType: 96, ssrc: 5, initialSequenceNumber: 65530, ...extra });
  const out: RtpPacket[][] = [];
  let cur: RtpPacket[] = [];
  p.pipe(sinkTo((x) => cur.push(x)));
  for (const f of frames) {
    cur = [];
    p.push(f, 0);
    out.push(cur);
  }
  return out;
}

/** A VP8 stream: keyframe every `gop` frames, sizes varying. */
function vp8Stream(n: number, gop: number, seed = 1, minSize = 1500): EncodedFrame[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => vp8Frame(rng, i % gop === 0 ? 4000 : rng.int(minSize, 2500), i % gop === 0, (i * 3000) >>> 0));
}

function vp9Stream(n: number, gop: number, seed = 1, minSize = 1500): EncodedFrame[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, (_, i) => ({
    kind: "video" as const,
    codec: "vp9" as const,
    data: rng.fill(new Uint8Array(i % gop === 0 ? 3500 : rng.int(minSize, 2500))),
    keyframe: i % gop === 0,
    rtpTimestamp: i * 3000,
    captureTimeUs: 0,
    frameIndex: i,
    ...(i % gop === 0 ? { width: 1280, height: 720 } : {}),
  }));
}

describe("Depacketizer", () => {
  it("reassembles VP8 frames exactly, with keyframe flag and size from the keyframe header (RFC 7741 4.3)", () => {
    const src = vp8Stream(20, 10);
    const { d, frames } = depack("vp8");
    for (const pkts of packetize("vp8", src)) for (const x of pkts) d.push(RtpPacket.parse(x.serialize()), 0);
    expect(frames).toHaveLength(20);
    frames.forEach((f, i) => {
      expect(f.data).toEqual(src[i]!.data);
      expect(f.keyframe).toBe(src[i]!.keyframe);
      expect(f.rtpTimestamp).toBe(src[i]!.rtpTimestamp);
      expect(f.width).toBe(640);
      expect(f.height).toBe(480);
      expect(f.kind).toBe("video");
      expect(Number.isNaN(f.captureTimeUs)).toBe(true);
      expect(f.frameIndex).toBe(-1);
    });
    expect(d.needsKeyframe).toBe(false);
    expect(d.stats()).toMatchObject({ framesAssembled: 20, framesIncomplete: 0, packetsMalformed: 0 });
  });

  it("reassembles VP9 frames in both modes with the SS resolution (RFC 9628 4.2.1)", () => {
    for (const mode of ["flexible", "non-flexible"] as const) {
      const src = vp9Stream(12, 6);
      const { d, frames } = depack("vp9");
      for (const pkts of packetize("vp9", src, { vp9Mode: mode })) for (const x of pkts) d.push(x, 0);
      expect(frames.map((f) => f.keyframe)).toEqual(src.map((f) => f.keyframe));
      frames.forEach((f, i) => expect(f.data).toEqual(src[i]!.data));
      expect(frames.every((f) => f.width === 1280 && f.height === 720)).toBe(true);
    }
  });

  it("passes Opus packets through as audio frames (RFC 7587 4.2)", () => {
    const { d, frames } = depack("opus", 111);
    const p = new Packetizer({ codec: "opus", payloadType: 111, ssrc: 3 });
    p.pipe(d);
    for (let i = 0; i < 5; i++) p.push({ kind: "audio", codec: "opus", data: Uint8Array.of(i, 1, 2), keyframe: true, rtpTimestamp: i * 960, captureTimeUs: 0, frameIndex: i }, 0);
    expect(frames.map((f) => [f.kind, f.rtpTimestamp, f.data[0]])).toEqual([0, 1, 2, 3, 4].map((i) => ["audio", i * 960, i]));
    expect(d.needsKeyframe).toBe(false);
  });

  it("drops a frame with a missing packet, then waits for a keyframe (RFC 7741 4.5.1)", () => {
    const src = vp8Stream(12, 6);
    const pk = packetize("vp8", src);
    const { d, frames } = depack("vp8");
    pk.forEach((pkts, i) => pkts.forEach((x, k) => (i === 2 && k === 1 ? undefined : d.push(x, 0))));
    // frame 2 lost a packet, frames 3-5 depend on it, frame 6 is a keyframe.
    expect(frames.map((f) => f.rtpTimestamp / 3000)).toEqual([0, 1, 6, 7, 8, 9, 10, 11]);
    expect(d.stats()).toMatchObject({ framesIncomplete: 1, framesUndecodable: 3 });
    expect(d.needsKeyframe).toBe(false);
  });

  it("reports needsKeyframe after a loss until the next keyframe arrives", () => {
    const src = vp8Stream(8, 4);
    const pk = packetize("vp8", src);
    const { d } = depack("vp8");
    expect(d.needsKeyframe).toBe(false);
    for (const x of pk[0]!) d.push(x, 0);
    for (const x of pk[1]!) d.push(x, 0);
    for (const x of pk[2]!.slice(1)) d.push(x, 0); // first packet of frame 2 lost
    expect(d.needsKeyframe).toBe(true);
    expect(d.ssrcsNeedingKeyframe()).toEqual([5]);
    expect(d.stats().framesIncomplete).toBe(1);
    for (const x of pk[3]!) d.push(x, 0);
    expect(d.needsKeyframe).toBe(true);
    for (const x of pk[4]!) d.push(x, 0);
    expect(d.needsKeyframe).toBe(false);
  });

  it("a whole lost frame (gap at a frame boundary) also requires a keyframe", () => {
    const pk = packetize("vp8", vp8Stream(4, 10));
    const { d, frames } = depack("vp8");
    for (const i of [0, 2, 3]) for (const x of pk[i]!) d.push(x, 0);
    expect(frames).toHaveLength(1);
    expect(d.needsKeyframe).toBe(true);
    expect(d.stats().framesIncomplete).toBe(0);
  });

  it("a gap between frames whose PictureIDs follow on (an FEC packet's sequence number, RFC 5109 10.2) needs no keyframe", () => {
    const pk = packetize("vp8", vp8Stream(4, 10));
    const { d, frames } = depack("vp8");
    for (const x of pk[0]!) d.push(x, 0);
    // Frame 1 arrives with its sequence numbers shifted by one, as if an FEC packet came between.
    for (const x of pk[1]!) d.push(RtpPacket.parse(new RtpPacket({ ...x, sequenceNumber: (x.sequenceNumber + 1) & 0xffff, payload: x.payload, marker: x.marker }).serialize()), 0);
    expect(frames).toHaveLength(2);
    expect(d.needsKeyframe).toBe(false);
  });

  it("waits for a keyframe when a stream is joined mid-way", () => {
    const pk = packetize("vp8", vp8Stream(8, 4));
    const { d, frames } = depack("vp8");
    for (const pkts of pk.slice(1)) for (const x of pkts) d.push(x, 0);
    expect(frames.map((f) => f.rtpTimestamp / 3000)).toEqual([4, 5, 6, 7]);
  });

  it("VP9 flexible mode: emits frames whose P_DIFF references were decoded (RFC 9628 4.2)", () => {
    const { d, frames } = depack("vp9");
    const mk = (seq: number, pid: number, p: boolean, pDiffs: number[]): RtpPacket =>
      new RtpPacket({
        payloadType: 96, sequenceNumber: seq, timestamp: pid * 3000, ssrc: 1, marker: true,
        payload: Uint8Array.of(...new Vp9PayloadDescriptor({ flexibleMode: true, pictureId: pid, interPicturePredicted: p, pDiffs, beginningOfFrame: true, endOfFrame: true }).serialize(), 0xaa),
      });
    d.push(mk(1, 0, false, []), 0); // key
    d.push(mk(2, 1, true, [1]), 0);
    // seq 3 (picture 2, referencing 1) lost
    d.push(mk(4, 3, true, [2]), 0); // references picture 1: decodable
    d.push(mk(5, 4, true, [2]), 0); // references lost picture 2: not decodable
    d.push(mk(6, 5, true, [2]), 0); // references picture 3: decodable
    expect(frames.map((f) => f.rtpTimestamp / 3000)).toEqual([0, 1, 3, 5]);
    expect(d.needsKeyframe).toBe(false);
  });

  it("completes a frame without a marker when the next frame starts without a gap", () => {
    const pk = packetize("vp8", vp8Stream(3, 10));
    const { d, frames } = depack("vp8");
    for (const pkts of pk) for (const x of pkts) {
      x.marker = false;
      d.push(x, 0);
    }
    expect(frames).toHaveLength(2);
  });

  it("counts malformed payloads and treats them as loss", () => {
    const pk = packetize("vp8", vp8Stream(3, 10));
    const { d, frames } = depack("vp8");
    for (const x of pk[0]!) d.push(x, 0);
    const bad = pk[1]![0]!;
    bad.payload = Uint8Array.of(0x80); // X bit without extension byte
    for (const x of pk[1]!) d.push(x, 0);
    expect(frames).toHaveLength(1);
    expect(d.stats()).toMatchObject({ packetsMalformed: 1 });
    expect(d.needsKeyframe).toBe(true);
  });

  it("ignores duplicates, other payload types and padding-only packets", () => {
    const pk = packetize("vp8", vp8Stream(2, 10));
    const { d, frames } = depack("vp8", 96);
    for (const x of pk[0]!) {
      d.push(x, 0);
      d.push(x, 0);
    }
    d.push(new RtpPacket({ payloadType: 100, sequenceNumber: 1, timestamp: 0, ssrc: 5 }), 0);
    expect(frames).toHaveLength(1);
    // The padding packet took the sequence number before frame 1; frame 1 is continuous.
    const { d: d2, frames: f2 } = depack("vp8", 96);
    for (const x of pk[0]!) d2.push(x, 0);
    const pad = new RtpPacket({ payloadType: 96, sequenceNumber: pk[1]![0]!.sequenceNumber, timestamp: 0, ssrc: 5, paddingLength: 200 });
    d2.push(pad, 0);
    for (const x of pk[1]!) {
      x.sequenceNumber = (x.sequenceNumber + 1) & 0xffff; // shifted by one: no gap after the padding
      d2.push(x, 0);
    }
    expect(f2).toHaveLength(2);
    expect(d.stats()).toMatchObject({ packetsDiscarded: pk[0]!.length, packetsIgnored: 1 });
  });

  it("keeps separate state per SSRC", () => {
    const a = packetize("vp8", vp8Stream(3, 10, 1));
    const b = packetize("vp8", vp8Stream(3, 10, 2), { ssrc: 6 });
    const { d, frames } = depack("vp8");
    for (let i = 0; i < 3; i++) {
      for (const x of a[i]!) d.push(x, 0);
      for (const x of b[i]!) d.push(x, 0);
    }
    expect(frames).toHaveLength(6);
  });

  it("never throws and emits only exact frames under random loss, duplication and reordering", () => {
    const rng = new SeededRandom(99);
    for (const codec of ["vp8", "vp9"] as const) {
      const src = codec === "vp8" ? vp8Stream(300, 30, 7, 50) : vp9Stream(300, 30, 7, 50);
      const byTs = new Map(src.map((f) => [f.rtpTimestamp, f]));
      const packets = packetize(codec, src).flat();
      const { d, frames } = depack(codec);
      for (let i = 0; i < packets.length; i++) {
        const r = rng.next();
        if (r < 0.05) continue; // lost
        if (r < 0.07 && i + 1 < packets.length) {
          d.push(packets[i + 1]!, 0); // swapped
          d.push(packets[i]!, 0);
          i++;
          continue;
        }
        d.push(packets[i]!, 0);
        if (r > 0.98) d.push(packets[i]!, 0);
      }
      expect(frames.length).toBeGreaterThan(20);
      for (const f of frames) expect(f.data).toEqual(byTs.get(f.rtpTimestamp)!.data);
      expect(d.stats().framesIncomplete).toBeGreaterThan(0);
    }
  });

  it("rejects invalid options", () => {
    expect(() => new Depacketizer({ codec: "h264" as CodecName })).toThrow(InvalidOptionError);
    expect(() => new Depacketizer({ codec: "vp8", payloadType: -1 })).toThrow(InvalidOptionError);
  });
});

describe("Depacketizer with two temporal layers (RFC 7741 4.2)", () => {
  /**
   * A VP8 stream in the encoder's two-layer pattern (base, upper, base, upper ...), frames
   * 1500-2500 bytes so each takes two or three packets; `keyframes` must be base positions.
   */
  function layeredStream(n: number, keyframes: readonly number[] = [0], seed = 3): EncodedFrame[] {
    const rng = new SeededRandom(seed);
    return Array.from({ length: n }, (_, i) => ({ ...vp8Frame(rng, rng.int(1500, 2500), keyframes.includes(i), i * 3000), temporalLayer: i % 2 }));
  }

  /** Frame indices (by RTP timestamp) of what came out. */
  const indices = (frames: readonly EncodedFrame[]): number[] => frames.map((f) => f.rtpTimestamp / 3000);

  it("all packets of one upper-layer frame lost: every other frame is emitted, no keyframe needed (RFC 7741 4.2 N bit)", () => {
    const src = layeredStream(10);
    const pk = packetize("vp8", src);
    const { d, frames } = depack("vp8");
    pk.forEach((pkts, i) => {
      if (i === 3) return;
      for (const x of pkts) d.push(x, 0);
      expect(d.needsKeyframe, `after frame ${i}`).toBe(false);
    });
    expect(indices(frames)).toEqual(src.map((_, i) => i).filter((i) => i !== 3));
    for (const f of frames) expect(f.data).toEqual(src[f.rtpTimestamp / 3000]!.data);
  });

  it("one packet of a multi-packet upper-layer frame lost: that frame is dropped, the following frames are emitted (RFC 7741 4.2)", () => {
    const src = layeredStream(10);
    const pk = packetize("vp8", src);
    for (const lost of [0, 1, -1]) {
      // first, second and last packet of upper-layer frame 5 in turn
      expect(pk[5]!.length).toBeGreaterThan(1);
      const lostPacket = pk[5]!.at(lost)!;
      const { d, frames } = depack("vp8");
      for (const pkts of pk) for (const x of pkts) if (x !== lostPacket) d.push(x, 0);
      expect(indices(frames), `lost packet ${lost}`).toEqual(src.map((_, i) => i).filter((i) => i !== 5));
      expect(d.needsKeyframe).toBe(false);
      expect(d.stats().framesIncomplete).toBe(1);
    }
  });

  it("a whole base-layer frame lost: no later delta frame is emitted, needsKeyframe holds until the next keyframe (RFC 7741 4.2 TL0PICIDX)", () => {
    const src = layeredStream(16, [0, 10]);
    const pk = packetize("vp8", src);
    const { d, frames } = depack("vp8");
    const needs: boolean[] = [];
    pk.forEach((pkts, i) => {
      if (i === 4) return;
      for (const x of pkts) d.push(x, 0);
      needs[i] = d.needsKeyframe;
    });
    // Frames 5-9 all depend on base frame 4; the keyframe (10) and what follows it decode.
    expect(indices(frames)).toEqual([0, 1, 2, 3, 10, 11, 12, 13, 14, 15]);
    // From the upper frame 5, whose TL0PICIDX already shows that base frame 4 is gone, until the keyframe.
    expect(needs.slice(5, 10)).toEqual([true, true, true, true, true]);
    expect(needs.slice(10)).toEqual([false, false, false, false, false, false]);
    expect(d.stats().framesUndecodable).toBe(5);
  });

  it("an upper-layer frame whose base-layer frame was lost is not emitted (RFC 7741 4.2 TL0PICIDX)", () => {
    const src = layeredStream(8);
    const pk = packetize("vp8", src);
    // The whole base frame 4 lost, or only its middle packet: upper frame 5 references it either way.
    for (const lose of [(i: number) => i === 4, (i: number, k: number) => i === 4 && k === 1]) {
      const { d, frames } = depack("vp8");
      pk.forEach((pkts, i) => pkts.forEach((x, k) => (lose(i, k) ? undefined : d.push(x, 0))));
      expect(indices(frames)).toEqual([0, 1, 2, 3]);
      expect(d.needsKeyframe).toBe(true);
    }
  });

  it("a stream switching from one layer to two and back without loss emits every frame and never needs a keyframe", () => {
    const rng = new SeededRandom(8);
    const layers = [undefined, undefined, undefined, 0, 1, 0, 1, 0, 1, undefined, undefined, 0, 1, 0, undefined, 0, 1];
    const src = layers.map((layer, i) => {
      const f = vp8Frame(rng, rng.int(1500, 2500), i === 0, i * 3000);
      return layer === undefined ? f : { ...f, temporalLayer: layer };
    });
    const { d, frames } = depack("vp8");
    packetize("vp8", src).forEach((pkts, i) => {
      for (const x of pkts) d.push(x, 0);
      expect(d.needsKeyframe, `after frame ${i}`).toBe(false);
    });
    expect(indices(frames)).toEqual(src.map((_, i) => i));
    frames.forEach((f, i) => expect(f.data).toEqual(src[i]!.data));
    expect(d.stats()).toMatchObject({ framesIncomplete: 0, framesUndecodable: 0 });
  });

  it("after a lost upper-layer frame, a later upper-layer frame of the same base is emitted only with layer sync Y=1 (RFC 7741 4.2)", () => {
    const rng = new SeededRandom(4);
    /** A one-packet VP8 frame with picture `pid` and the given L/T fields. */
    const frame = (seq: number, pid: number, tl0PicIdx: number, tid: number, layerSync: boolean): RtpPacket => {
      const desc = new Vp8PayloadDescriptor({ startOfPartition: true, pictureId: pid, tl0PicIdx, tid, layerSync, nonReference: tid > 0 });
      const data = vp8Frame(rng, 40, pid === 0, pid * 3000).data;
      return new RtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: pid * 3000, ssrc: 9, marker: true, payload: Uint8Array.of(...desc.serialize(), ...data) });
    };
    for (const sync of [false, true]) {
      const { d, frames } = depack("vp8");
      d.push(frame(1, 0, 0, 0, false), 0); // keyframe, base
      d.push(frame(2, 1, 0, 1, true), 0);
      d.push(frame(3, 2, 1, 0, false), 0); // base
      // seq 4 (picture 3, an upper-layer frame on base 1) lost
      d.push(frame(5, 4, 1, 1, sync), 0); // another upper-layer frame on base 1
      d.push(frame(6, 5, 2, 0, false), 0); // the next base frame needs neither
      expect(indices(frames), `Y=${Number(sync)}`).toEqual(sync ? [0, 1, 2, 4, 5] : [0, 1, 2, 5]);
      expect(d.needsKeyframe).toBe(false);
    }
  });

  describe("canSkipTo", () => {
    /** A depacketizer fed the packets of `pk` for which `keep(frame, packet)` holds. */
    function fed(pk: RtpPacket[][], keep: (i: number, k: number) => boolean): Depacketizer {
      const { d } = depack("vp8");
      pk.forEach((pkts, i) => pkts.forEach((x, k) => (keep(i, k) ? d.push(x, 0) : undefined)));
      return d;
    }

    it("true for the first packet of the next base frame after a lost upper-layer frame (RFC 7741 4.2)", () => {
      const pk = packetize("vp8", layeredStream(8));
      // Upper frame 3 lost whole, or cut short after its first packet: base frame 4 needs neither.
      expect(fed(pk, (i) => i < 3).canSkipTo(pk[4]![0]!)).toBe(true);
      expect(fed(pk, (i, k) => i < 3 || (i === 3 && k === 0)).canSkipTo(pk[4]![0]!)).toBe(true);
    });

    it("false for the first packet after a lost base-layer frame (RFC 7741 4.2 TL0PICIDX)", () => {
      const pk = packetize("vp8", layeredStream(8));
      // Base frame 4 lost whole: neither upper frame 5 nor base frame 6 can be decoded without it.
      const d = fed(pk, (i) => i < 4);
      expect(d.canSkipTo(pk[5]![0]!)).toBe(false);
      expect(d.canSkipTo(pk[6]![0]!)).toBe(false);
      // Base frame 4 cut short after its first packet.
      expect(fed(pk, (i, k) => i < 4 || (i === 4 && k === 0)).canSkipTo(pk[5]![0]!)).toBe(false);
    });

    it("false for a packet that does not start a frame", () => {
      const pk = packetize("vp8", layeredStream(8));
      expect(pk[4]!.length).toBeGreaterThan(1);
      const d = fed(pk, (i) => i < 3);
      expect(d.canSkipTo(pk[4]![0]!)).toBe(true);
      expect(d.canSkipTo(pk[4]![1]!)).toBe(false);
    });

    it("unlayered: true when only non-media was lost (the next PictureID follows the last emitted one, RFC 5109 10.2)", () => {
      const pk = packetize("vp8", vp8Stream(5, 10));
      const d = fed(pk, (i) => i < 2);
      // Frame 2 shifted by one sequence number, as if an FEC packet that came between was lost (RFC 3550 5.1).
      const next = pk[2]![0]!;
      const shifted = new RtpPacket({ ...next, sequenceNumber: (next.sequenceNumber + 1) & 0xffff, payload: next.payload, marker: next.marker });
      expect(d.canSkipTo(shifted)).toBe(true);
    });

    it("unlayered: false when a whole frame is missing (the PictureID jumps)", () => {
      const pk = packetize("vp8", vp8Stream(5, 10));
      const d = fed(pk, (i) => i < 2);
      expect(d.canSkipTo(pk[3]![0]!)).toBe(false);
      expect(d.canSkipTo(pk[2]![0]!)).toBe(true);
    });

    it("true for a keyframe, even while waiting for one", () => {
      const pk = packetize("vp8", vp8Stream(8, 4));
      const d = fed(pk, (i) => i < 2 || i === 3); // frame 2 lost: frame 3 cannot decode
      expect(d.needsKeyframe).toBe(true);
      expect(d.canSkipTo(pk[5]![0]!)).toBe(false);
      expect(d.canSkipTo(pk[4]![0]!)).toBe(true);
    });

    it("does not change what push then does", () => {
      const src = layeredStream(8);
      const pk = packetize("vp8", src);
      const { d, frames } = depack("vp8");
      pk.forEach((pkts, i) => {
        if (i === 3) return;
        for (const x of pkts) {
          d.canSkipTo(x);
          d.push(x, 0);
        }
      });
      expect(indices(frames)).toEqual([0, 1, 2, 4, 5, 6, 7]);
    });
  });
});
