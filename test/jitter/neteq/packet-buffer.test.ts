import { describe, expect, it } from "vitest";
import { PacketBuffer } from "../../../src/jitter/neteq/packet-buffer.js";

const pay = new Uint8Array([0x78, 1, 2]);
const pkt = (i: number, base = 4_294_966_000) => ({ sequenceNumber: (65_530 + i) & 0xffff, timestamp: (base + i * 960) >>> 0, payload: pay });

describe("PacketBuffer", () => {
  it("orders packets by unwrapped timestamp across the 32-bit wrap (RFC 3550 5.1)", () => {
    const b = new PacketBuffer();
    for (const i of [3, 0, 2, 1]) expect(b.insert(pkt(i), 0)).toBe("inserted");
    const first = b.earliest()!;
    expect(b.get(first.ts + 960)?.seq).toBe(first.seq + 1);
    expect(b.get(first.ts + 3 * 960)!.rtpTimestamp).toBe(pkt(3).timestamp);
    expect(b.spanSamples(first.ts, 1e9)).toBe(4 * 960);
  });

  it("counts duplicates, late, invalid and snaps wandering timestamps to the 20 ms grid", () => {
    const b = new PacketBuffer();
    b.insert(pkt(0), 0);
    expect(b.insert(pkt(0), 1)).toBe("duplicate");
    expect(b.insert({ ...pkt(1), timestamp: pkt(1).timestamp + 7 }, 2)).toBe("inserted");
    expect(b.insert({ ...pkt(1), timestamp: pkt(1).timestamp - 5 }, 3)).toBe("duplicate");
    const t0 = b.earliest()!.ts;
    b.advanceTo(t0 + 960);
    expect(b.size).toBe(1);
    expect(b.insert(pkt(0), 4)).toBe("late");
    expect(b.insert({ ...pkt(5), payload: new Uint8Array(0) }, 5)).toBe("invalid");
    expect(b.insert({ ...pkt(5), payload: new Uint8Array(2000) }, 5)).toBe("invalid");
    expect(b.stats()).toMatchObject({ duplicates: 2, late: 1, invalid: 2, discarded: 1, held: 1 });
  });

  it("is bounded: when full, the furthest-future packet gives way to an earlier one", () => {
    const b = new PacketBuffer({ capacity: 4 });
    for (const i of [0, 1, 2, 50]) b.insert(pkt(i), 0);
    expect(b.insert(pkt(3), 0)).toBe("inserted"); // evicts 50
    expect(b.insert(pkt(60), 0)).toBe("overflow"); // furthest: dropped
    expect(b.size).toBe(4);
    expect(b.has(b.earliest()!.ts + 50 * 960)).toBe(false);
    expect(b.stats()["overflows"]).toBe(2);
  });
});
