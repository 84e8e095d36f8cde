/**
 * Pacer benchmark: µs per packet for one enqueue + one paced dequeue, in steady state with a
 * standing queue of 50 or 500 packets (a keyframe's worth, and a congested second at 5 Mbps).
 * Packets are 1 200 bytes, a mix of 5% audio, 5% retransmissions, 80% video, 10% FEC; time
 * advances by one packet time at the pacing rate per operation, so one packet leaves per
 * enqueue on average.
 *
 * Baseline, in the same run: a plain array queue kept sorted by (priority, arrival) with
 * Array.prototype.sort after every insert and Array.prototype.shift to dequeue, with the same
 * leaky-bucket budget: the obvious first implementation of a priority pacer.
 *
 *   npx tsx bench/pacer.ts [--max-time 1.5]
 *
 * Writes bench/results/pacer.json and prints µs per packet.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { Pacer } from "../src/congestion/pacer.js";
import { packetKindPriority, type PacketKind } from "../src/congestion/pacer-queue.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";


interface Row {
  case: string;
  impl: string;
  usPerOp: number;
  opsPerSec: number;
  marginPct: number;
}

const RATE_BPS = 5_000_000;
const SIZE = 1200;
const PACKET_US = (SIZE * 8e6) / RATE_BPS; // 1 920 µs
const rng = new SeededRandom(2026);
const KINDS: PacketKind[] = Array.from({ length: 1024 }, () => {
  const x = rng.next();
  return x < 0.05 ? "audio" : x < 0.1 ? "retransmission" : x < 0.9 ? "video" : "fec";
});
let sink = 0;

/** The baseline: a sorted array. */
class SortedArrayPacer {
  q: { item: number; prio: number; seq: number; sizeBytes: number }[] = [];
  private seq = 0;
  private debt = 0;
  private lastUs = 0;
  constructor(private readonly rateBps: number, private readonly out: (item: number) => void) {}
  enqueue(item: number, kind: PacketKind, sizeBytes: number, nowUs: number): void {
    this.drain(nowUs);
    this.q.push({ item, prio: packetKindPriority(kind), seq: this.seq++, sizeBytes });
    this.q.sort((a, c) => a.prio - c.prio || a.seq - c.seq);
  }
  tick(nowUs: number): void {
    this.drain(nowUs);
    while (this.q.length > 0) {
      const p = this.q[0]!;
      if (this.debt + p.sizeBytes > p.sizeBytes) break;
      this.q.shift();
      this.debt += p.sizeBytes;
      this.out(p.item);
    }
  }
  private drain(nowUs: number): void {
    this.debt = Math.max(0, this.debt - (this.rateBps * (nowUs - this.lastUs)) / 8e6);
    this.lastUs = nowUs;
  }
}

// Queue depth seen at the end of each case, to check the steady state held.
const depthsSeen: Record<string, number> = {};

function setupOurs(depth: number): () => void {
  const pacer = new Pacer<number>({ pacingRateBps: RATE_BPS, burstUs: 0, drainLargeQueues: false, audioBypassesBudget: false });
  pacer.pipe({ push: (p) => void (sink += p.item) });
  let now = 0;
  let i = 0;
  for (; i < depth; i++) pacer.enqueue(i, "video", SIZE, now);
  pacer.tick(now);
  return () => {
    now += PACKET_US;
    pacer.enqueue(i, KINDS[i & 1023]!, SIZE, now);
    i++;
    pacer.tick(now);
    depthsSeen[`ours ${depth}`] = pacer.queueStats(now).queuedPackets;
  };
}

function setupBaseline(depth: number): () => void {
  const pacer = new SortedArrayPacer(RATE_BPS, (item) => void (sink += item));
  let now = 0;
  let i = 0;
  for (; i < depth; i++) pacer.enqueue(i, "video", SIZE, now);
  pacer.tick(now);
  return () => {
    now += PACKET_US;
    pacer.enqueue(i, KINDS[i & 1023]!, SIZE, now);
    i++;
    pacer.tick(now);
    depthsSeen[`baseline ${depth}`] = pacer.q.length;
  };
}

const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
const collect = (name: string) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerOp: 1e6 / r.ops, opsPerSec: r.ops, marginPct: r.margin });
  });

for (const depth of [50, 500]) {
  await b.suite(
    `Pacer enqueue + dequeue, ${depth} packets queued`,
    config,
    b.add("rtcpipe Pacer (per-kind FIFOs)", () => {
      const op = setupOurs(depth);
      return op;
    }),
    b.add("baseline: array sorted per insert", () => {
      const op = setupBaseline(depth);
      return op;
    }),
    b.cycle(),
    collect(`depth ${depth}`),
  );
}

for (const [k, v] of Object.entries(depthsSeen)) {
  const want = Number(k.split(" ")[1]);
  if (Math.abs(v - want) > 2) throw new Error(`${k}: the queue drifted to ${v} packets, the steady state did not hold`);
}
const result = { node: process.version, rateBps: RATE_BPS, packetBytes: SIZE, rows, depthsSeen, sink };
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "pacer.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\ncase       impl                                   µs/packet");
for (const r of rows) console.log(`${r.case.padEnd(10)} ${r.impl.padEnd(38)} ${r.usPerOp.toFixed(3)}`);
