import { describe, expect, it } from "vitest";
import { QueuedTrainRate } from "../../src/congestion/queued-train-rate.js";

describe("QueuedTrainRate (packet-train dispersion at a standing queue)", () => {
  it("packets that queued leave a 200 kbps bottleneck 48 ms apart (1200 B): the train reads 200 kbps", () => {
    const t = new QueuedTrainRate();
    for (let i = 0; i < 5; i++) t.onPacket(1_000_000 + i * 48_000, 1200, 100 + i * 40);
    expect(t.rateBps()).toBeCloseTo(200_000, -2);
  });

  it("no verdict from fewer than 3 queued packets or a span under 40 ms", () => {
    const t = new QueuedTrainRate();
    t.onPacket(0, 1200, 100);
    t.onPacket(48_000, 1200, 140);
    expect(t.rateBps()).toBeNaN();
    const short = new QueuedTrainRate();
    for (let i = 0; i < 4; i++) short.onPacket(i * 10_000, 1200, 100);
    expect(short.rateBps()).toBeNaN();
  });

  it("a packet that did not queue (under 30 ms above the base) or an unknown base ends the train", () => {
    const t = new QueuedTrainRate();
    for (let i = 0; i < 4; i++) t.onPacket(i * 48_000, 1200, 100);
    t.onPacket(4 * 48_000, 1200, 10);
    expect(t.rateBps()).toBeNaN();
    for (let i = 5; i < 9; i++) t.onPacket(i * 48_000, 1200, 100);
    t.onPacket(9 * 48_000, 1200, NaN);
    expect(t.rateBps()).toBeNaN();
  });

  it("packets that did not wait for the one before (a slow link's own transmission time over 30 ms, idle between them) read no train", () => {
    const t = new QueuedTrainRate();
    // 1200 B at 124 kbps takes 77 ms on the wire: each packet is 72 ms above a base set by a
    // small audio packet, but they arrive 150 ms apart (a 64 kbps sender), so none queued behind another.
    for (let i = 0; i < 8; i++) t.onPacket(i * 150_000, 1200, 72);
    expect(t.rateBps()).toBeNaN();
    // The same packets sent back to back queue behind each other: their spacing is the link's.
    const q = new QueuedTrainRate();
    for (let i = 0; i < 8; i++) q.onPacket(i * 77_400, 1200, 72 + i * 40);
    expect(q.rateBps()).toBeCloseTo(124_000, -3);
  });

  it("slides over the last 16 packets: a later, faster bottleneck takes over", () => {
    const t = new QueuedTrainRate();
    let at = 0;
    for (let i = 0; i < 16; i++) t.onPacket((at += 48_000), 1200, 100);
    for (let i = 0; i < 16; i++) t.onPacket((at += 9_600), 1200, 100);
    expect(t.rateBps()).toBeCloseTo(1_000_000, -3);
  });
});
