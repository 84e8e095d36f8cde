import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { createAudioFrame } from "../../src/media/audio-frame.js";
import { NullSink } from "../../src/media/null-sink.js";
import { PushSource } from "../../src/media/push-source.js";
import { createVideoFrame, type VideoFrame } from "../../src/media/video-frame.js";

describe("PushSource", () => {
  it("forwards valid video frames downstream and counts them", () => {
    const src = PushSource.video({ width: 64, height: 48 });
    const sink = new NullSink<VideoFrame>();
    src.pipe(sink);
    for (let i = 0; i < 3; i++) src.push(createVideoFrame(64, 48, i * 33_000, i), i * 33_000);
    expect(sink.frames).toBe(3);
    expect(src.stats()).toEqual({ frames: 3, bytes: 3 * 64 * 48 * 1.5, rejected: 0, lastPushUs: 66_000 });
  });

  it("accepts strided planes", () => {
    const src = PushSource.video({ width: 4, height: 2 });
    src.push({ width: 4, height: 2, y: new Uint8Array(16), u: new Uint8Array(8), v: new Uint8Array(8), strideY: 8, strideU: 8, strideV: 8, captureTimeUs: 0, frameIndex: -1 }, 0);
    expect(src.stats()["frames"]).toBe(1);
  });

  const bad: [string, unknown, RegExp][] = [
    ["wrong size", createVideoFrame(32, 48), /it is 32x48, the source is 64x48/],
    ["an audio frame", createAudioFrame(1), /not an I420 video frame/],
    ["null", null, /it is null/],
    ["short y plane", { ...createVideoFrame(64, 48), y: new Uint8Array(10) }, /plane y has 10 bytes/],
    ["stride below width", { ...createVideoFrame(64, 48), strideU: 8 }, /stride of u=8/],
    ["NaN time", { ...createVideoFrame(64, 48), captureTimeUs: NaN }, /captureTimeUs=NaN/],
  ];
  it.each(bad)("rejects %s with InvalidOptionError and counts it", (_n, frame, msg) => {
    const src = PushSource.video({ width: 64, height: 48 });
    const sink = new NullSink();
    src.pipe(sink);
    expect(() => src.push(frame as VideoFrame, 0)).toThrow(InvalidOptionError);
    expect(() => src.push(frame as VideoFrame, 0)).toThrow(msg);
    expect(src.stats()["rejected"]).toBe(2);
    expect(sink.frames).toBe(0);
  });

  it("checks audio frames: channels, sample count, rate", () => {
    const src = PushSource.audio({ channels: 2 });
    src.push(createAudioFrame(2), 0);
    expect(() => src.push(createAudioFrame(1), 0)).toThrow(/1 channels, the source has 2/);
    expect(() => src.push({ ...createAudioFrame(2), samples: new Int16Array(100) }, 0)).toThrow(/100 samples, 20 ms needs 1920/);
    expect(() => src.push({ ...createAudioFrame(2), sampleRate: 44100 as 48000 }, 0)).toThrow(/sampleRate=44100/);
    expect(src.stats()).toMatchObject({ frames: 1, bytes: 3840, rejected: 3 });
  });

  it("validates options", () => {
    expect(() => PushSource.video({ width: 0, height: 2 })).toThrow(InvalidOptionError);
    expect(() => new PushSource({ kind: "text" } as never)).toThrow(/allowed is one of video, audio/);
  });
});
