import { describe, expect, it } from "vitest";
import { pushFramesExample } from "../examples/push-frames.js";

describe("examples (the README's pipeline API example runs as written)", () => {
  it("push-frames: 30 raw frames through encode → RTP → SRTP → back → decode", async () => {
    const r = await pushFramesExample(30);
    expect(r.decoded).toBe(30);
    expect(r.meanPsnrDb).toBeGreaterThan(20);
    expect(r.stats["srtpProtect.packetsOut"] ?? r.stats["srtpProtect.out"]).toBeGreaterThan(30);
  });
});
