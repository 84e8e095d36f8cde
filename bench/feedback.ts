/**
 * Feedback benchmark: NackGenerator cost per received packet (10% random loss, a tick every
 * 5 ms of stream time), NackResponder cost per Generic NACK (10 lost packets named, RTX
 * wrapping with a 1200-byte payload copy each, history of 1000 packets; a 1 µs RTT so the
 * once-per-RTT rule lets every request through), Generic NACK parse and FCI encoding.
 *
 *   npx tsx bench/feedback.ts [--max-time 1.5]
 *
 * Writes bench/results/feedback.json and prints µs per operation.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { NackGenerator } from "../src/feedback/nack-generator.js";
import { NackResponder } from "../src/feedback/nack-responder.js";
import { GenericNack, nackEntriesFromSequenceNumbers } from "../src/rtcp/generic-nack.js";
import { RtpPacket } from "../src/rtp/rtp-packet.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";


interface Row {
  case: string;
  impl: string;
  usPerOp: number;
  opsPerSec: number;
  marginPct: number;
}

const rng = new SeededRandom(4585);
let sink = 0;

// Receiver: a stream with 10% loss; precomputed so the loop measures only the generator.
const LOSS_PATTERN = Array.from({ length: 1 << 16 }, () => rng.next() < 0.1);
const generator = new NackGenerator();
let rxSeq = 0;
let rxUs = 0;
const receiveOne = (): void => {
  rxSeq++;
  rxUs += 2000;
  if (!LOSS_PATTERN[rxSeq & 0xffff]) generator.received(rxSeq & 0xffff, rxUs);
  if (rxSeq % 3 === 0) {
    const r = generator.tick(rxUs, 100_000);
    sink += r.sequenceNumbers.length;
  }
};

// Sender: 1000 packets of 1200 bytes in the history, NACKs for 10 of them at a time.
const responder = new NackResponder({ mediaSsrc: 1, rtx: { ssrc: 2, payloadType: 97 }, history: { maxAgeUs: 60_000_000 }, minRateBps: 1e10, maxRateBps: 1e10, burstUs: 10_000_000 });
const payload = rng.fill(new Uint8Array(1188));
for (let i = 0; i < 1000; i++) responder.onPacketSent(new RtpPacket({ payloadType: 96, sequenceNumber: i, timestamp: i * 90, ssrc: 1, payload }), i * 1000);
const nacks = Array.from({ length: 64 }, () => {
  const seqs = Array.from({ length: 10 }, () => rng.int(500, 999)).sort((a, c) => a - c);
  return GenericNack.fromSequenceNumbers(9, 1, seqs);
});
let txUs = 1_000_000;
let nackIndex = 0;
const nackWire = nacks[0]!.serialize();
const lossList = Array.from({ length: 40 }, (_, i) => 1000 + i * 3);

const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
const collect = (name: string) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerOp: 1e6 / r.ops, opsPerSec: r.ops, marginPct: r.margin });
  });

await b.suite(
  "NACK generation (receiver)",
  config,
  b.add("NackGenerator per packet (10% loss, tick every 3rd)", () => {
    receiveOne();
  }),
  b.cycle(),
  collect("generator"),
);

await b.suite(
  "NACK response (sender)",
  config,
  b.add("NackResponder per NACK (10 seqs → 10 RTX packets)", () => {
    txUs += 2; // RTT of 1 µs: every NACK passes the once-per-RTT rule and is answered in full
    sink += responder.onNack(nacks[nackIndex++ & 63]!, txUs, 1).length;
  }),
  b.add("GenericNack.parse (10 seqs)", () => {
    sink += GenericNack.parse(nackWire).entries.length;
  }),
  b.add("nackEntriesFromSequenceNumbers (40 seqs)", () => {
    sink += nackEntriesFromSequenceNumbers(lossList).length;
  }),
  b.cycle(),
  collect("responder"),
);

const rs = responder.stats();
if (rs.retransmitted < 0.99 * rs.seqsRequested) throw new Error(`responder bench measured drops, not retransmissions: ${JSON.stringify(rs)}`);
const result = { node: process.version, rows, generatorStats: generator.stats(), responderStats: responder.stats(), sink };
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "feedback.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\ncase       impl                                                µs/op");
for (const r of rows) console.log(`${r.case.padEnd(10)} ${r.impl.padEnd(52)} ${r.usPerOp.toFixed(3)}`);
