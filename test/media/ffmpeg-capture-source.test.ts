import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FfmpegCaptureSource } from "../../src/media/ffmpeg-capture-source.js";
import { NullSink } from "../../src/media/null-sink.js";
import type { AudioFrame } from "../../src/media/audio-frame.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { RealClock } from "../../src/pipeline/clock.js";

// No camera here: ffmpeg's lavfi testsrc2 stands in for the device.
const W = 160, H = 120, FRAME = W * H * 1.5;

function reference(frames: number): Buffer {
  return execFileSync("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc2=size=${W}x${H}:rate=30`,
    "-vf", `scale=${W}:${H},fps=30`, "-pix_fmt", "yuv420p", "-frames:v", String(frames), "-f", "rawvideo", "pipe:1",
  ], { maxBuffer: 64 << 20 });
}

const eq = (f: VideoFrame, ref: Buffer, i: number): boolean =>
  Buffer.from(f.y.buffer, f.y.byteOffset, FRAME).equals(ref.subarray(i * FRAME, (i + 1) * FRAME));

describe("FfmpegCaptureSource", () => {
  it("splits ffmpeg's raw I420 into frames with clock timestamps; pause mode loses nothing", async () => {
    let t = 0;
    const clock = { nowUs: () => (t += 1000) };
    const src = new FfmpegCaptureSource<VideoFrame>({
      input: `testsrc2=size=${W}x${H}:rate=30`, format: "lavfi", width: W, height: H, fps: 30,
      outputArgs: ["-frames:v", "60"], clock, maxQueueFrames: 3,
    });
    expect(src.ffmpegArgs()).toContain("rawvideo");
    src.start();
    const ref = reference(60);
    const frames: VideoFrame[] = [];
    for (;;) {
      const f = await src.nextAsync();
      if (!f) break;
      frames.push(f);
      // A slow consumer: the queue fills and the stream pauses.
      if (frames.length % 10 === 0) await new Promise((r) => setTimeout(r, 30));
      expect(src.queueLength).toBeLessThanOrEqual(3);
    }
    expect(frames.length).toBe(60);
    frames.forEach((f, i) => {
      expect(f.frameIndex).toBe(i);
      expect(eq(f, ref, i)).toBe(true);
    });
    for (let i = 1; i < 60; i++) expect(frames[i]!.captureTimeUs).toBeGreaterThan(frames[i - 1]!.captureTimeUs);
    const st = src.stats();
    expect(st["framesDropped"]).toBe(0);
    expect(st["pauses"]).toBeGreaterThan(0);
    expect(st["bytesRead"]).toBe(60 * FRAME);
    expect(src.ended).toBe(true);
    expect(src.error).toBeUndefined();
  });

  it("drop-oldest mode keeps the newest frames and counts drops", async () => {
    const src2 = new FfmpegCaptureSource<VideoFrame>({
      input: `testsrc2=size=${W}x${H}:rate=30`, format: "lavfi", width: W, height: H, fps: 30,
      outputArgs: ["-frames:v", "40"], clock: new RealClock(), maxQueueFrames: 4, whenFull: "drop-oldest",
    }).start();
    await src2.whenExited();
    expect(src2.stats()).toMatchObject({ framesCaptured: 40, framesDropped: 36, queueLength: 4 });
    const ref = reference(40);
    const kept: VideoFrame[] = [];
    for (let f = src2.next(); f; f = src2.next()) kept.push(f);
    kept.forEach((f, k) => expect(eq(f, ref, 36 + k)).toBe(true));
    expect(src2.error).toBeUndefined();
  });

  it("pushes downstream with emitAll / autoEmit, keeping capture timestamps", async () => {
    const sink = new NullSink<VideoFrame>();
    const src = new FfmpegCaptureSource<VideoFrame>({
      input: `testsrc2=size=${W}x${H}:rate=30`, format: "lavfi", width: W, height: H, fps: 30,
      outputArgs: ["-frames:v", "10"], clock: { nowUs: () => 777 }, autoEmit: true,
    });
    src.pipe(sink);
    src.start();
    await src.nextAsync();
    expect(sink.frames).toBe(10);
    expect(sink.firstUs).toBe(777);
  });

  it("captures audio as 20 ms s16le frames", async () => {
    const src = new FfmpegCaptureSource<AudioFrame>({
      kind: "audio", input: "sine=frequency=440:sample_rate=48000", format: "lavfi", channels: 2,
      outputArgs: ["-t", "0.2"], clock: new RealClock(),
    }).start();
    const frames: AudioFrame[] = [];
    for (let f = await src.nextAsync(); f; f = await src.nextAsync()) frames.push(f);
    expect(frames.length).toBe(10);
    expect(frames[3]!.samples.length).toBe(1920);
    expect(Math.max(...frames[3]!.samples)).toBeGreaterThan(1000);
  });

  it("stops a live (endless) capture cleanly", async () => {
    const src = new FfmpegCaptureSource<VideoFrame>({
      input: `testsrc2=size=${W}x${H}:rate=30`, format: "lavfi", inputArgs: ["-re"], width: W, height: H, fps: 30,
      clock: new RealClock(),
    }).start();
    const f = await src.nextAsync();
    expect(f?.width).toBe(W);
    await src.stop();
    expect(src.error).toBeUndefined();
    // Drain what was queued; then the source reports its end.
    while (src.next()) { /* drain */ }
    expect(await src.nextAsync()).toBeUndefined();
  });

  it("reports a failing input and a missing ffmpeg", async () => {
    const bad = new FfmpegCaptureSource<VideoFrame>({ input: "/dev/no-such-camera", format: "v4l2", width: W, height: H, fps: 30, clock: new RealClock() }).start();
    await expect(bad.nextAsync()).rejects.toThrow(/Cannot capture from \/dev\/no-such-camera: ffmpeg exited with/);
    const missing = new FfmpegCaptureSource<VideoFrame>({ input: "x", width: W, height: H, fps: 30, clock: new RealClock(), ffmpegPath: "/nonexistent/ffmpeg" }).start();
    await expect(missing.nextAsync()).rejects.toThrow(/ffmpeg was not found/);
  });
});
