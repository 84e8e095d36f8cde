import { describe, expect, it } from "vitest";
import { EncoderQpMonitor } from "../../src/congestion/encoder-qp-monitor.js";
import { InvalidOptionError } from "../../src/errors.js";

describe("EncoderQpMonitor (libwebrtc QualityScaler's high-QP signal, VP8 95/127 = 47/63)", () => {
  it("high once the average Q of at least 10 delta frames is at or above 47; not before", () => {
    const m = new EncoderQpMonitor();
    for (let i = 0; i < 9; i++) m.onFrame(55, false);
    expect(m.high).toBe(false);
    m.onFrame(55, false);
    expect(m.high).toBe(true);
    expect(m.averageQp).toBeCloseTo(55, 6);
  });

  it("a falling Q clears it within a few frames; low Q never sets it", () => {
    const m = new EncoderQpMonitor();
    for (let i = 0; i < 20; i++) m.onFrame(50, false);
    let frames = 0;
    while (m.high && frames < 100) {
      m.onFrame(30, false);
      frames++;
    }
    expect(m.high).toBe(false);
    expect(frames).toBeGreaterThan(1);
    expect(frames).toBeLessThan(15);
    const low = new EncoderQpMonitor();
    for (let i = 0; i < 50; i++) low.onFrame(40, false);
    expect(low.high).toBe(false);
  });

  it("keyframes and unknown Q (-1, NaN, out of 0-63) are ignored; reset forgets the average", () => {
    const m = new EncoderQpMonitor();
    for (let i = 0; i < 20; i++) m.onFrame(63, true);
    m.onFrame(-1, false);
    m.onFrame(Number.NaN, false);
    m.onFrame(64, false);
    expect(m.averageQp).toBeNaN();
    for (let i = 0; i < 20; i++) m.onFrame(60, false);
    expect(m.high).toBe(true);
    m.reset();
    expect(m.high).toBe(false);
    expect(m.averageQp).toBeNaN();
  });

  it("bad options fail fast", () => {
    expect(() => new EncoderQpMonitor({ highQp: 70 })).toThrow(InvalidOptionError);
    expect(() => new EncoderQpMonitor({ minFrames: 0 })).toThrow(InvalidOptionError);
  });
});
