import { describe, expect, it } from "vitest";
import { pipeline } from "../../src/pipeline/pipeline.js";
import { mapStage } from "../../src/pipeline/stage.js";
import { BoundedQueue } from "../../src/pipeline/bounded-queue.js";
import { VirtualClock } from "../../src/pipeline/clock.js";
import { toNodeTransform, toTransformStream } from "../../src/pipeline/stream-adapters.js";
import { InvalidOptionError } from "../../src/errors.js";

describe("pipeline()", () => {
  it("chains stages in order and collects their stats by name", () => {
    const p = pipeline(
      mapStage("double", (x: number) => x * 2),
      mapStage("drop-odd", (x: number) => (x % 4 === 0 ? x : undefined)),
      mapStage("str", (x: number) => `v${x}`),
    );
    const out: string[] = [];
    p.pipe({ push: (s) => out.push(s) });
    for (let i = 0; i < 5; i++) p.push(i, i);
    expect(out).toEqual(["v0", "v4", "v8"]);
  });

  it("adapts to a Web TransformStream and a Node Transform", async () => {
    const ts = toTransformStream(mapStage("inc", (x: number) => x + 1));
    const writer = ts.writable.getWriter();
    const reader = ts.readable.getReader();
    void writer.write(1);
    expect((await reader.read()).value).toBe(2);
    const nt = toNodeTransform(mapStage("neg", (x: number) => -x));
    const got: number[] = [];
    nt.on("data", (x: number) => got.push(x));
    nt.write(3);
    nt.end();
    await new Promise((r) => nt.on("end", r));
    expect(got).toEqual([-3]);
  });
});

describe("BoundedQueue", () => {
  it("never grows past capacity; drop-oldest keeps the newest items", () => {
    const q = new BoundedQueue<number>({ capacity: 3 });
    for (let i = 0; i < 10; i++) q.offer(i);
    expect(q.size).toBe(3);
    expect([q.poll(), q.poll(), q.poll(), q.poll()]).toEqual([7, 8, 9, undefined]);
    expect(q.stats().dropped).toBe(7);
  });

  it("'reject' returns false so the producer can apply back-pressure", () => {
    const q = new BoundedQueue<number>({ capacity: 1, overflow: "reject" });
    expect(q.offer(1)).toBe(true);
    expect(q.offer(2)).toBe(false);
    expect(q.poll()).toBe(1);
  });

  it("fails fast on bad options", () => {
    expect(() => new BoundedQueue({ capacity: 0 })).toThrow(InvalidOptionError);
    expect(() => new BoundedQueue({ overflow: "grow" as never })).toThrow(/allowed is one of/);
  });
});

describe("VirtualClock", () => {
  it("fires timers in time order, periodic ones repeatedly, cancelled ones never", () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.at(30, () => log.push("a30"));
    c.at(10, () => log.push("b10"));
    const h = c.every(20, (t) => log.push(`e${t}`));
    const x = c.at(15, () => log.push("never"));
    x.cancel();
    c.runUntil(60);
    h.cancel();
    c.runUntil(200);
    expect(log).toEqual(["b10", "e20", "a30", "e40", "e60"]);
    expect(c.nowUs()).toBe(200);
  });
});
