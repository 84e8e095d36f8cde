import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { Y4mReader } from "../../src/media/y4m-reader.js";
import { Y4mWriter } from "../../src/media/y4m-writer.js";
import { psnr } from "../../src/metrics/psnr.js";
import { pipeline } from "../../src/pipeline/pipeline.js";
import { NullSink } from "../../src/media/null-sink.js";
import type { VideoFrame } from "../../src/media/video-frame.js";

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function stddev(p: Uint8Array): number {
  let s = 0, s2 = 0;
  for (const v of p) { s += v; s2 += v * v; }
  const m = s / p.length;
  return Math.sqrt(s2 / p.length - m * m);
}

describe("TestPatternSource", () => {
  const src = new TestPatternSource({ width: 640, height: 480, fps: 30 });

  it("is regenerable: frameAt(i) gives identical bytes, in any order and from another instance", () => {
    const a = src.frameAt(17);
    src.frameAt(3);
    const b = new TestPatternSource({ width: 640, height: 480, fps: 30 }).frameAt(17);
    expect(same(b.y, a.y)).toBe(true);
    expect(same(b.u, a.u)).toBe(true);
    expect(same(b.v, a.v)).toBe(true);
    expect(a.frameIndex).toBe(17);
    expect(a.captureTimeUs).toBe(566_667);
  });

  it("has detail (not flat) and motion (consecutive frames differ everywhere in the bands)", () => {
    const f0 = src.frameAt(0), f1 = src.frameAt(1);
    expect(stddev(f0.y)).toBeGreaterThan(40);
    expect(stddev(f0.u)).toBeGreaterThan(10);
    const r = psnr(f0, f1);
    expect(r.y).toBeLessThan(20);
    // Rows in each band changed.
    for (const row of [100, 300, 400]) {
      const a = f0.y.subarray(row * 640, row * 640 + 640), b = f1.y.subarray(row * 640, row * 640 + 640);
      expect(a).not.toEqual(b);
    }
  });

  it("costs well under 1 ms per 640x480 frame", () => {
    for (let i = 0; i < 30; i++) src.frameAt(i);
    const t = performance.now();
    for (let i = 0; i < 300; i++) src.frameAt(i);
    const msPerFrame = (performance.now() - t) / 300;
    expect(msPerFrame).toBeLessThan(1);
  });

  it("encodes the frame index in a barcode that survives lossy VP8 coding", () => {
    const dir = mkdtempSync(join(tmpdir(), "rtcpipe-tp-"));
    try {
      const s = new TestPatternSource({ width: 320, height: 240 });
      const w = new Y4mWriter(join(dir, "a.y4m"), { width: 320, height: 240 });
      for (let i = 1000; i < 1020; i++) w.write(s.frameAt(i));
      w.close();
      execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", join(dir, "a.y4m"), "-c:v", "libvpx", "-b:v", "200k", join(dir, "a.webm")]);
      execFileSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-i", join(dir, "a.webm"), "-pix_fmt", "yuv420p", join(dir, "b.y4m")]);
      const r = new Y4mReader(join(dir, "b.y4m"));
      for (let i = 1000; i < 1020; i++) expect(s.readFrameIndex(r.next()!)).toBe(i);
      r.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("works as the head of a pipeline: emitNext stamps capture time and pushes downstream", () => {
    const s = new TestPatternSource({ width: 64, height: 48 });
    const sink = new NullSink<VideoFrame>();
    const p = pipeline(s, sink);
    for (let i = 0; i < 5; i++) p.push(undefined, 1000 + i * 33_333);
    expect(sink.frames).toBe(5);
    expect(sink.firstUs).toBe(1000);
    expect(s.stats()).toMatchObject({ framesEmitted: 5 });
    expect(s.emitNext(5)!.frameIndex).toBe(5);
  });

  it("validates options", () => {
    expect(() => new TestPatternSource({ width: 10 })).toThrow(InvalidOptionError);
    expect(() => new TestPatternSource({ fps: 0 })).toThrow(/Cannot use fps=0/);
    expect(() => src.frameAt(-1)).toThrow(InvalidOptionError);
  });
});
