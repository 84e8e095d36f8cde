import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NullSink } from "../../src/media/null-sink.js";
import { SpeechLikeSource } from "../../src/media/speech-like-source.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { WavFileSink } from "../../src/media/wav-file-sink.js";
import { WavReader } from "../../src/media/wav-reader.js";
import { Y4mFileSink } from "../../src/media/y4m-file-sink.js";
import { Y4mReader } from "../../src/media/y4m-reader.js";
import { psnr } from "../../src/metrics/psnr.js";
import { pipeline } from "../../src/pipeline/pipeline.js";
import { VirtualClock } from "../../src/pipeline/clock.js";

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-sinks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sinks", () => {
  it("Y4mFileSink writes what a source emits; the file reads back identical", () => {
    const src = new TestPatternSource({ width: 160, height: 120, fps: 30 });
    const path = join(dir, "out.y4m");
    const sink = new Y4mFileSink({ path, fpsNum: 30 });
    const p = pipeline(src, sink);
    const clock = new VirtualClock();
    clock.every(33_333, (now) => p.push(undefined, now));
    clock.runUntil(10 * 33_333);
    p.close();
    expect(sink.stats()).toEqual({ frames: 10 });
    const r = new Y4mReader(path);
    expect(r.frameCount).toBe(10);
    for (let i = 0; i < 10; i++) expect(psnr(r.next()!, src.frameAt(i)).average).toBe(Infinity);
    r.close();
  });

  it("WavFileSink writes a valid WAV (sizes fixed on close) that reads back identical", () => {
    const src = new SpeechLikeSource({ seed: 1, channels: 2 });
    const path = join(dir, "out.wav");
    const sink = new WavFileSink({ path });
    const p = pipeline(src, sink);
    for (let i = 0; i < 25; i++) p.push(undefined, i * 20_000);
    p.close();
    const r = new WavReader(path);
    expect(r.frameCount).toBe(25);
    expect(r.channels).toBe(2);
    for (const i of [0, 12, 24]) expect(r.frameAt(i)!.samples).toEqual(src.frameAt(i).samples);
    r.close();
  });

  it("NullSink measures frames, bytes, first/last time and fps", () => {
    const src = new TestPatternSource({ width: 64, height: 48 });
    const sink = new NullSink();
    src.pipe(sink);
    for (let i = 0; i < 31; i++) src.emitNext(1_000_000 + i * 40_000);
    expect(sink.frames).toBe(31);
    expect(sink.bytes).toBe(31 * 64 * 48 * 1.5);
    expect(sink.firstUs).toBe(1_000_000);
    expect(sink.lastUs).toBe(2_200_000);
    expect(sink.fps).toBeCloseTo(25, 6);
    expect(sink.stats()["fps"]).toBeCloseTo(25, 6);
  });
});
