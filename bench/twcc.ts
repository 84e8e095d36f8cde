/**
 * TWCC benchmark, µs per media packet:
 * - writing the transport-wide sequence number: ours in place on serialized bytes (`patch`),
 *   ours in place on an RtpPacket (`write`), `setExtension` with a fresh 2-byte array (the
 *   naive way), and werift 0.24's `serializeTransportWideCC` (a Buffer per packet);
 * - receiver: TransportFeedbackGenerator record per packet plus a tick + serialize every 100
 *   packets (10% loss), against a naive baseline (a Map of arrivals, sorted at each feedback,
 *   then the same TransportFeedback.build); werift's ReceiverTWCC reads the wall clock and
 *   needs a DTLS transport, so it cannot run here;
 * - sender: TransportFeedbackAdapter onPacketSent per packet plus parse + onFeedback of one
 *   feedback per 128 packets, against a naive baseline (a Map of SentPacketInfo, looked up and
 *   deleted per result) and werift's TransportWideCC.deSerialize of the same bytes (parse
 *   only, per packet).
 *
 *   npx tsx bench/twcc.ts [--max-time 1.5]
 *
 * Writes bench/results/twcc.json and prints µs per packet.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { RtcpHeader as WeriftRtcpHeader, serializeTransportWideCC, TransportWideCC } from "werift";
import type { SentPacketInfo } from "../src/congestion/congestion-types.js";
import { TransportFeedbackAdapter } from "../src/congestion/transport-feedback-adapter.js";
import { TransportFeedbackGenerator } from "../src/congestion/transport-feedback-generator.js";
import { TransportFeedback } from "../src/rtcp/transport-feedback.js";
import { RtpPacket } from "../src/rtp/rtp-packet.js";
import { seqDiff } from "../src/rtp/wrap-around-unwrapper.js";
import { TransportWideSequenceNumber } from "../src/rtp/transport-wide-sequence-number.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";


interface Row {
  case: string;
  impl: string;
  usPerPacket: number;
  opsPerSec: number;
  marginPct: number;
}
const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
/** `perOp` packets are handled in one benchmarked call. */
const collect = (name: string, perOp: Record<string, number>) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerPacket: 1e6 / r.ops / (perOp[r.name] ?? 1), opsPerSec: r.ops, marginPct: r.margin });
  });

const rng = new SeededRandom(2015);
let sink = 0;
const EXT_ID = 3;

// --- Extension write -------------------------------------------------------------------------
const pkt = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: rng.fill(new Uint8Array(1100)) });
TransportWideSequenceNumber.write(pkt, EXT_ID, 0);
const wire = pkt.serialize();
const fresh = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: pkt.payload });
fresh.setExtension(EXT_ID, Uint8Array.of(0, 0));
let extSeq = 0;
await b.suite(
  "transport-wide sequence number write",
  config,
  b.add("ours: patch serialized bytes", () => {
    if (!TransportWideSequenceNumber.patch(wire, EXT_ID, extSeq++)) throw new Error("patch failed");
  }),
  b.add("ours: write on RtpPacket (in place)", () => {
    TransportWideSequenceNumber.write(pkt, EXT_ID, extSeq++);
  }),
  b.add("naive: setExtension(fresh 2-byte array)", () => {
    const s = extSeq++;
    fresh.setExtension(EXT_ID, Uint8Array.of((s >> 8) & 0xff, s & 0xff));
  }),
  b.add("werift: serializeTransportWideCC (Buffer)", () => {
    sink += serializeTransportWideCC(extSeq++ & 0xffff).length;
  }),
  b.cycle(),
  collect("ext-write", {}),
);

// --- Receiver --------------------------------------------------------------------------------
const BATCH = 100;
const LOSS = Array.from({ length: 1 << 16 }, () => rng.next() < 0.1);
const JITTER = Array.from({ length: 1 << 16 }, () => rng.int(0, 2000));
const gen = new TransportFeedbackGenerator({ senderSsrc: 1, minIntervalUs: 1000, initialIntervalUs: 1000 });
let rxSeq = 0;
let rxUs = 0;
let rxBytes = 0;
const receiverOurs = (): void => {
  for (let k = 0; k < BATCH; k++) {
    rxSeq++;
    rxUs += 1000;
    if (!LOSS[rxSeq & 0xffff]) gen.onPacketReceived(rxSeq & 0xffff, rxUs + JITTER[rxSeq & 0xffff]!);
  }
  for (const fb of gen.tick(rxUs)) rxBytes += fb.serialize().length;
};
const naiveArrivals = new Map<number, number>();
let nSeq = 0;
let nUs = 0;
let nStart = 1;
let nCount = 0;
const receiverNaive = (): void => {
  for (let k = 0; k < BATCH; k++) {
    nSeq++;
    nUs += 1000;
    if (!LOSS[nSeq & 0xffff]) naiveArrivals.set(nSeq, nUs + JITTER[nSeq & 0xffff]!);
  }
  const seqs = [...naiveArrivals.keys()].filter((s) => s >= nStart).sort((x, y) => x - y);
  const times = seqs.map((s) => naiveArrivals.get(s)!);
  for (const fb of TransportFeedback.build({ senderSsrc: 1, mediaSsrc: 0, feedbackPacketCount: nCount++ }, nStart, seqs, times)) rxBytes += fb.serialize().length;
  nStart = seqs[seqs.length - 1]! + 1;
  for (const s of naiveArrivals.keys()) if (s < nStart - 1000) naiveArrivals.delete(s);
};
await b.suite(
  "receiver: record + feedback every 100 packets",
  config,
  b.add("ours: TransportFeedbackGenerator", receiverOurs),
  b.add("naive: Map + sort + build", receiverNaive),
  b.cycle(),
  collect("receiver", { "ours: TransportFeedbackGenerator": BATCH, "naive: Map + sort + build": BATCH }),
);

// --- Sender ----------------------------------------------------------------------------------
const SBATCH = 128;
const feedbackWires: Uint8Array[] = [];
for (let k = 0; k < 65536 / SBATCH; k++) {
  const seqs: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < SBATCH; i++) if (!LOSS[(k * SBATCH + i) & 0xffff] || i === 0) (seqs.push(k * SBATCH + i), times.push((k * SBATCH + i) * 1000 + 30_000 + JITTER[i]!));
  const fbs = TransportFeedback.build({ senderSsrc: 1, mediaSsrc: 0, feedbackPacketCount: k }, k * SBATCH, seqs, times);
  if (fbs.length !== 1) throw new Error("expected one feedback per batch");
  feedbackWires.push(fbs[0]!.serialize());
}
const weriftWires = feedbackWires.map((w) => Buffer.from(w));
const adapter = new TransportFeedbackAdapter();
let txSeq = 0;
let batchIndex = 0;
let results = 0;
const senderOurs = (): void => {
  for (let i = 0; i < SBATCH; i++) {
    adapter.onPacketSent({ sequenceNumber: txSeq, sendTimeUs: txSeq * 1000, sizeBytes: 1200, probeClusterId: -1, isAudio: false });
    txSeq++;
  }
  const u = adapter.onFeedback(TransportFeedback.parse(feedbackWires[batchIndex++ & 511]!), txSeq * 1000);
  results += u?.packets.length ?? 0;
};
const naiveHistory = new Map<number, SentPacketInfo>();
let nTx = 0;
let nBatch = 0;
let nInFlight = 0;
const senderNaive = (): void => {
  for (let i = 0; i < SBATCH; i++) {
    naiveHistory.set(nTx, { sequenceNumber: nTx, sendTimeUs: nTx * 1000, sizeBytes: 1200, probeClusterId: -1, isAudio: false });
    nInFlight += 1200;
    nTx++;
  }
  const fb = TransportFeedback.parse(feedbackWires[nBatch++ & 511]!);
  const base = nTx - 1 + seqDiff(fb.baseSequenceNumber, nTx - 1);
  const out: { sent: SentPacketInfo; receiveTimeUs: number | undefined }[] = [];
  for (const p of fb.packets()) {
    const u = base + seqDiff(p.sequenceNumber, base);
    const info = naiveHistory.get(u);
    if (info === undefined) continue;
    naiveHistory.delete(u);
    nInFlight -= info.sizeBytes;
    out.push({ sent: info, receiveTimeUs: p.receiveTimeUs });
  }
  results += out.length;
};
let wIndex = 0;
const weriftParse = (): void => {
  const w = weriftWires[wIndex++ & 511]!;
  const fb = TransportWideCC.deSerialize(w.subarray(4), WeriftRtcpHeader.deSerialize(w));
  sink += fb.recvDeltas.length;
};
await b.suite(
  "sender: onPacketSent per packet + parse/onFeedback per 128 packets",
  config,
  b.add("ours: TransportFeedbackAdapter", senderOurs),
  b.add("naive: Map history", senderNaive),
  b.add("werift: TransportWideCC.deSerialize only", weriftParse),
  b.cycle(),
  collect("sender", { "ours: TransportFeedbackAdapter": SBATCH, "naive: Map history": SBATCH, "werift: TransportWideCC.deSerialize only": SBATCH }),
);

if (results === 0 || rxBytes === 0) throw new Error("bench measured nothing");
const result = { node: process.version, rows, generatorStats: gen.stats(), adapterStats: adapter.stats(), sink };
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "twcc.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\ncase       impl                                           µs/packet");
for (const r of rows) console.log(`${r.case.padEnd(10)} ${r.impl.padEnd(46)} ${r.usPerPacket.toFixed(4)}`);
