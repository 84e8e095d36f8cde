import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { createVideoFrame, type VideoFrame } from "../../src/media/video-frame.js";
import { VideoFormatAdapter } from "../../src/media/video-format-adapter.js";

function frames(n: number, fps: number, width = 64, height = 48): VideoFrame[] {
  return Array.from({ length: n }, (_, i) => {
    const f = createVideoFrame(width, height, Math.round((i * 1e6) / fps), i);
    f.y.fill(i % 256);
    return f;
  });
}

function run(adapter: VideoFormatAdapter, input: VideoFrame[]): VideoFrame[] {
  const out: VideoFrame[] = [];
  adapter.pipe({ push: (f) => void out.push(f) });
  for (const f of input) adapter.push(f, f.captureTimeUs);
  return out;
}

describe("VideoFormatAdapter", () => {
  it("passes every frame unchanged at the capture format", () => {
    const input = frames(30, 30);
    const out = run(new VideoFormatAdapter({ width: 64, height: 48, fps: 30 }), input);
    expect(out).toHaveLength(30);
    expect(out[7]).toBe(input[7]);
  });

  it.each([
    [15, 15],
    [20, 20],
    [10, 10],
    [7.5, 8],
  ])("reduces 30 fps to %s fps with an even cadence", (fps, expected) => {
    const out = run(new VideoFormatAdapter({ width: 64, height: 48, fps }), frames(30, 30));
    expect(out).toHaveLength(expected);
    // Gaps between passed frames differ by at most one capture interval.
    const gaps = out.slice(1).map((f, i) => f.frameIndex - out[i]!.frameIndex);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  it("downscales to the chosen size and keeps capture time and frame index", () => {
    const out = run(new VideoFormatAdapter({ width: 32, height: 24, fps: 30 }), frames(3, 30));
    expect(out.map((f) => [f.width, f.height])).toEqual([[32, 24], [32, 24], [32, 24]]);
    expect(out[2]!.frameIndex).toBe(2);
    expect(out[2]!.captureTimeUs).toBe(frames(3, 30)[2]!.captureTimeUs);
    expect(out[2]!.y[0]).toBe(2);
  });

  it("pauses (no frames) and resumes", () => {
    const a = new VideoFormatAdapter({ width: 64, height: 48, fps: 30 });
    const out: VideoFrame[] = [];
    a.pipe({ push: (f) => void out.push(f) });
    const input = frames(60, 30);
    input.slice(0, 10).forEach((f) => a.push(f, 0));
    a.setFormat({ width: 64, height: 48, fps: 30, paused: true });
    input.slice(10, 40).forEach((f) => a.push(f, 0));
    a.setFormat({ width: 32, height: 24, fps: 30 });
    input.slice(40).forEach((f) => a.push(f, 0));
    expect(out).toHaveLength(30);
    expect(out[10]!.frameIndex).toBe(40);
    expect(out[10]!.width).toBe(32);
    expect(a.stats()).toMatchObject({ framesIn: 60, framesOut: 30, framesSkipped: 30, formatChanges: 2 });
  });

  it("rejects bad formats with what is allowed", () => {
    expect(() => new VideoFormatAdapter({ width: 63, height: 48, fps: 30 })).toThrow(/must be even/);
    expect(() => new VideoFormatAdapter({ width: 64, height: 48, fps: 0 })).toThrow(InvalidOptionError);
    const a = new VideoFormatAdapter({ width: 128, height: 96, fps: 30 });
    expect(() => run(a, frames(1, 30))).toThrow(/up to the capture size/);
  });
});
