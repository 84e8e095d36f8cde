import { describe, expect, it } from "vitest";
import { AudioPlayoutBuffer, type PlayoutSlot } from "../../src/jitter/audio-playout-buffer.js";
import { VideoPlayoutBuffer } from "../../src/jitter/video-playout-buffer.js";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

function videoFrame(i: number): EncodedFrame {
  return { kind: "video", codec: "vp8", data: new Uint8Array(10), keyframe: i === 0, rtpTimestamp: (1000 + i * 3000) >>> 0, captureTimeUs: NaN, frameIndex: -1 };
}

describe("VideoPlayoutBuffer", () => {
  it("adds no delay on a path without jitter", () => {
    const buf = new VideoPlayoutBuffer();
    const outAt: number[] = [];
    buf.pipe({ push: (_f, now) => outAt.push(now) });
    for (let i = 0; i < 60; i++) buf.push(videoFrame(i), Math.round(50_000 + (i * 1e5) / 3));
    expect(outAt).toHaveLength(60);
    expect(buf.delayUs).toBeLessThan(1000);
  });

  it("delays frames by about the 95th percentile of transit jitter, and shrinks when jitter stops", () => {
    const rng = new SeededRandom(7);
    const buf = new VideoPlayoutBuffer({ windowFrames: 90 });
    buf.pipe({ push: () => {} });
    let t = 0;
    for (let i = 0; i < 300; i++) {
      t = 50_000 + i * 33_333 + rng.next() * 60_000; // uniform 0-60 ms jitter
      buf.push(videoFrame(i), t);
      buf.tick(t);
    }
    expect(buf.delayUs).toBeGreaterThan(45_000);
    expect(buf.delayUs).toBeLessThan(61_000);
    for (let i = 300; i < 500; i++) {
      t = 50_000 + i * 33_333;
      buf.push(videoFrame(i), t);
      buf.tick(t);
    }
    expect(buf.delayUs).toBeLessThan(1000);
  });
});

function audioPacket(seq: number) {
  return { sequenceNumber: seq & 0xffff, timestamp: (seq * 960) >>> 0, payload: new Uint8Array(40) };
}

describe("AudioPlayoutBuffer", () => {
  it("plays one slot per 20 ms and conceals a lost packet as 'loss'", () => {
    const buf = new AudioPlayoutBuffer({ startDelayMs: 40 });
    const slots: PlayoutSlot[] = [];
    buf.pipe({ push: (s) => slots.push(s) });
    for (let i = 0; i < 20; i++) {
      const now = i * 20_000;
      if (i !== 5) buf.push(audioPacket(i), now);
      buf.tick(now);
    }
    buf.tick(20 * 20_000 + 40_000);
    expect(slots.map((s) => s.kind).filter((k) => k === "loss")).toHaveLength(1);
    expect(slots[5]!.kind).toBe("loss");
    expect(slots[4]!.packet?.sequenceNumber).toBe(4);
    expect(slots[6]!.packet?.sequenceNumber).toBe(6);
  });

  it("holds the timeline on an underrun so a late packet still plays (expand)", () => {
    const buf = new AudioPlayoutBuffer({ startDelayMs: 20 });
    const slots: PlayoutSlot[] = [];
    buf.pipe({ push: (s) => slots.push(s) });
    buf.push(audioPacket(0), 0);
    buf.tick(20_000); // plays 0
    buf.tick(40_000); // packet 1 not here: underrun
    buf.push(audioPacket(1), 45_000);
    buf.tick(60_000);
    expect(slots.map((s) => s.kind)).toEqual(["normal", "underrun", "normal"]);
    expect(slots[2]!.packet?.sequenceNumber).toBe(1);
  });

  it("tells a DTX pause (no sequence gap) from a loss", () => {
    const buf = new AudioPlayoutBuffer({ startDelayMs: 20 });
    const kinds: string[] = [];
    buf.pipe({ push: (s) => kinds.push(s.kind) });
    buf.push({ sequenceNumber: 0, timestamp: 0, payload: new Uint8Array(1) }, 0);
    buf.push({ sequenceNumber: 1, timestamp: 960 * 4, payload: new Uint8Array(1) }, 0);
    for (let t = 20_000; t <= 100_000; t += 20_000) buf.tick(t);
    expect(kinds).toEqual(["normal", "dtx", "dtx", "dtx", "normal"]);
  });

  it("removes delay it does not need (accelerate)", () => {
    const buf = new AudioPlayoutBuffer({ startDelayMs: 200 });
    buf.pipe({ push: () => {} });
    for (let i = 0; i < 300; i++) {
      buf.push(audioPacket(i), i * 20_000);
      buf.tick(i * 20_000);
    }
    expect(buf.stats().accelerated).toBeGreaterThan(3);
    expect(buf.bufferedUs).toBeLessThan(200_000);
  });
});

describe("AudioPlayoutBuffer with a sender whose timestamps wander", () => {
  it("snaps packets to the 20 ms slot grid", () => {
    const buf = new AudioPlayoutBuffer({ startDelayMs: 20 });
    const kinds: string[] = [];
    buf.pipe({ push: (s) => kinds.push(s.kind) });
    for (let i = 0; i < 10; i++) {
      const jitterSamples = (i % 3) * 7 - 7; // -7, 0, +7 samples around the grid
      buf.push({ sequenceNumber: i, timestamp: 1000 + i * 960 + (i === 0 ? 0 : jitterSamples), payload: new Uint8Array(20) }, i * 20_000);
      buf.tick(i * 20_000);
    }
    buf.tick(10 * 20_000 + 20_000);
    expect(kinds.slice(0, 10).every((k) => k === "normal")).toBe(true);
  });
});
