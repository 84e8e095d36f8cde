import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { EmulatedNetwork } from "../../src/net/emulated-network.js";
import type { EmulatedLinkOptions } from "../../src/net/emulated-link.js";
import { LossTrace } from "../../src/net/loss-trace.js";
import { RealClock, VirtualClock } from "../../src/pipeline/clock.js";

describe("EmulatedNetwork", () => {
  it("delivers A→B and B→A with each direction's delay, at the arrival time", () => {
    const clock = new VirtualClock();
    const net = new EmulatedNetwork({ clock, aToB: { delayMs: 30 }, bToA: { delayMs: 70 } });
    const log: string[] = [];
    net.b.onReceive = (d, t) => {
      log.push(`B got ${d[0]} at ${t}`);
      net.b.send(new Uint8Array([d[0]! + 100]), t);
    };
    net.a.onReceive = (d, t) => log.push(`A got ${d[0]} at ${t}`);
    clock.at(1000, (t) => net.a.send(new Uint8Array([1]), t));
    clock.at(2000, (t) => net.a.send(new Uint8Array([2]), t));
    clock.runUntil(1_000_000);
    expect(log).toEqual(["B got 1 at 31000", "B got 2 at 32000", "A got 101 at 101000", "A got 102 at 102000"]);
    expect(net.a.stats()).toEqual({ packetsSent: 2, bytesSent: 2, packetsReceived: 2, bytesReceived: 2 });
    expect(net.stats()["aToB.packetsDelivered"]).toBe(2);
    expect(net.stats()["bToA.packetsDelivered"]).toBe(2);
    expect(clock.nextTimerUs()).toBeUndefined();
  });

  it("copies sent bytes, so the sender may reuse its buffer", () => {
    const clock = new VirtualClock();
    const net = new EmulatedNetwork({ clock, aToB: { delayMs: 10 } });
    const got: number[][] = [];
    net.b.onReceive = (d) => got.push(Array.from(d));
    const buf = new Uint8Array(2);
    for (let i = 0; i < 3; i++) {
      buf.fill(i);
      net.a.send(buf, clock.nowUs());
    }
    clock.runUntil(20_000);
    expect(got).toEqual([[0, 0], [1, 1], [2, 2]]);
  });

  it("uses aToB for both directions with a different seed when bToA is absent", () => {
    const clock = new VirtualClock();
    const net = new EmulatedNetwork({ clock, aToB: { lossPct: 50, seed: 4 } });
    const gotA: number[] = [];
    const gotB: number[] = [];
    net.a.onReceive = (d) => gotA.push(d[0]!);
    net.b.onReceive = (d) => gotB.push(d[0]!);
    for (let i = 0; i < 100; i++) {
      net.a.send(new Uint8Array([i]), 0);
      net.b.send(new Uint8Array([i]), 0);
    }
    clock.runUntil(1);
    expect(gotA.length).toBeGreaterThan(30);
    expect(gotB.length).toBeGreaterThan(30);
    expect(gotA).not.toEqual(gotB);
  });

  it("starts traces at its creation time on the clock", () => {
    const clock = new VirtualClock(1_000_000);
    clock.runUntil(3_000_000);
    const lossTrace = LossTrace.parse("@unit ms\n@after deliver\n0*100\n1*100\n");
    const net = new EmulatedNetwork({ clock, aToB: { lossTrace } });
    const got: number[] = [];
    net.b.onReceive = (d) => got.push(d[0]!);
    for (const [i, ms] of [[1, 50], [2, 150], [3, 250]] as const) clock.at(3_000_000 + ms * 1000, (t) => net.a.send(new Uint8Array([i]), t));
    clock.runUntil(4_000_000);
    expect(got).toEqual([1, 3]);
    expect(() => new EmulatedNetwork({ clock, aToB: { delayMs: -3 } })).toThrow(InvalidOptionError);
  });

  it("stops delivering after close and leaves no live timers", () => {
    const clock = new VirtualClock();
    const net = new EmulatedNetwork({ clock, aToB: { delayMs: 10 } });
    let got = 0;
    net.b.onReceive = () => got++;
    net.a.send(new Uint8Array(1), 0);
    net.close();
    net.a.send(new Uint8Array(1), 0);
    clock.runUntil(100_000);
    expect(got).toBe(0);
    expect(clock.nextTimerUs()).toBeUndefined();
  });

  /** A 60 s two-way call at 150 packets/s each way; returns deliveries as text and CPU ms. */
  function call(link: EmulatedLinkOptions): { trace: string; cpuMs: number; stats: Record<string, number> } {
    const clock = new VirtualClock();
    const net = new EmulatedNetwork({ clock, aToB: link, bToA: { ...link, seed: (link.seed ?? 1) + 100 } });
    const rx: number[] = [];
    net.a.onReceive = (d, t) => rx.push(1, d[0]! | (d[1]! << 8), t);
    net.b.onReceive = (d, t) => rx.push(2, d[0]! | (d[1]! << 8), t);
    const pkt = new Uint8Array(1000);
    let n = 0;
    const start = performance.now();
    const ta = clock.every(6667, (t) => {
      pkt[0] = n & 0xff;
      pkt[1] = (n++ >> 8) & 0xff;
      net.a.send(pkt, t);
    });
    const tb = clock.every(6667, (t) => net.b.send(pkt.subarray(0, 200), t));
    clock.runUntil(60_000_000);
    ta.cancel();
    tb.cancel();
    clock.runUntil(70_000_000);
    const cpuMs = performance.now() - start;
    return { trace: rx.join(","), cpuMs, stats: net.stats() };
  }

  const lossy: EmulatedLinkOptions = { delayMs: 50, jitterMs: 10, rateBps: 2_000_000, lossPct: 5, burstLossPct: 2, reorderPct: 1, duplicatePct: 1, seed: 7 };

  it("runs a 60 s call at 150 packets/s each way in well under a second", () => {
    call(lossy); // warm up the JIT
    const r = call(lossy);
    expect(r.stats["aToB.packetsIn"]).toBeGreaterThan(8990);
    expect(r.stats["bToA.packetsIn"]).toBeGreaterThan(8990);
    expect(r.stats["aToB.inFlight"]).toBe(0);
    console.log(`60 s two-way emulated call: ${r.cpuMs.toFixed(1)} ms CPU`);
    expect(r.cpuMs).toBeLessThan(500);
  });

  it("is deterministic: same seed, same deliveries; another seed, different ones", () => {
    expect(call(lossy).trace).toBe(call(lossy).trace);
    expect(call(lossy).trace).not.toBe(call({ ...lossy, seed: 8 }).trace);
  });

  it("runs on a RealClock too", async () => {
    const clock = new RealClock();
    const net = new EmulatedNetwork({ clock, aToB: { delayMs: 20 } });
    const arrived = new Promise<number>((resolve) => {
      net.b.onReceive = (_d, t) => resolve(t);
    });
    const sentUs = clock.nowUs();
    net.a.send(new Uint8Array([1]), sentUs);
    const atUs = await arrived;
    expect(atUs - sentUs).toBeGreaterThanOrEqual(19_000);
    expect(atUs - sentUs).toBeLessThan(500_000);
    net.close();
  });
});
