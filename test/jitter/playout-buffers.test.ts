import { describe, expect, it } from "vitest";
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

  it("at a low frame rate the estimate's window ends 3 s back, not 90 frames (9 s at 10 fps): an old queue spike stops setting the delay", () => {
    const buf = new VideoPlayoutBuffer({ windowFrames: 90 });
    buf.pipe({ push: () => {} });
    const frameAt = (i: number): number => 50_000 + i * 100_000; // 10 fps
    // Frames 0-19 arrive on time, 20-29 300 ms late (a queue that filled), then on time again.
    for (let i = 0; i < 70; i++) {
      const t = frameAt(i) + (i >= 20 && i < 30 ? 300_000 : 0);
      buf.push(videoFrame10fps(i), t);
      buf.tick(t);
    }
    // Frame 69 arrives 3.7 s after the last late one: they have left the 3 s window.
    expect(buf.targetDelayUs).toBeLessThan(1000);
    const frames90 = new VideoPlayoutBuffer({ windowFrames: 90, windowMs: 600_000 });
    frames90.pipe({ push: () => {} });
    for (let i = 0; i < 70; i++) frames90.push(videoFrame10fps(i), frameAt(i) + (i >= 20 && i < 30 ? 300_000 : 0));
    expect(frames90.targetDelayUs).toBeGreaterThan(250_000); // the frame-count window alone still holds them
  });
});

describe("VideoPlayoutBuffer delay budget", () => {
  it("setDelayBudgetUs caps jitter + extra delay: late frames are shown late instead of holding every frame", () => {
    const buf = new VideoPlayoutBuffer({ windowFrames: 90 });
    buf.pipe({ push: () => {} });
    for (let i = 0; i < 90; i++) buf.push(videoFrame(i), 50_000 + i * 33_333 + (i % 10 === 0 ? 300_000 : 0));
    expect(buf.targetDelayUs).toBeGreaterThan(250_000); // every tenth frame 300 ms late: p95 covers it
    buf.setDelayBudgetUs(150_000);
    expect(buf.targetDelayUs).toBe(150_000);
    buf.setExtraDelayUs(100_000);
    expect(buf.targetDelayUs).toBe(150_000);
    buf.setDelayBudgetUs(Infinity);
    expect(buf.targetDelayUs).toBeGreaterThan(350_000);
    expect(() => buf.setDelayBudgetUs(Number.NaN)).toThrow(/Cannot set the video delay budget/);
  });
});

function videoFrame10fps(i: number): EncodedFrame {
  return { ...videoFrame(i), rtpTimestamp: (1000 + i * 9000) >>> 0 };
}
