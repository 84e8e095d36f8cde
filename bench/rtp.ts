/**
 * RTP benchmark: packetize a 640x480 VP8-sized frame (~4 KB of random bytes, keyframe-shaped)
 * into 1200-byte-MTU packets and depacketize it back; RtpPacket parse and serialize per packet
 * (1200-byte packet), with werift 0.24's RtpPacket (deSerialize / serialize) alongside.
 *
 *   npx tsx bench/rtp.ts [--max-time 1.5]
 *
 * Writes bench/results/rtp.json and prints µs per operation.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { RtpPacket as WeriftRtpPacket } from "werift";
import type { EncodedFrame } from "../src/codec/encoded-frame.js";
import { sinkTo } from "../src/pipeline/stage.js";
import { Depacketizer } from "../src/rtp/depacketizer.js";
import { Packetizer } from "../src/rtp/packetizer.js";
import { RtpPacket } from "../src/rtp/rtp-packet.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";

const FRAME_BYTES = 4096;

interface Row {
  case: string;
  impl: string;
  usPerOp: number;
  opsPerSec: number;
  marginPct: number;
}

const rng = new SeededRandom(4242);
const frameData = rng.fill(new Uint8Array(FRAME_BYTES));
frameData[0] = frameData[0]! & 0xfe; // P=0: keyframe (RFC 6386 9.1)
frameData.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 3); // 640x480
let ts = 0;
const frame = (): EncodedFrame => ({ kind: "video", codec: "vp8", data: frameData, keyframe: true, rtpTimestamp: (ts += 3000) >>> 0, captureTimeUs: 0, frameIndex: 0 });

// Packetize → depacketize chain.
const packetizer = new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 0x1234 });
const depacketizer = new Depacketizer({ codec: "vp8" });
let framesOut = 0;
let sink = 0;
packetizer.pipe(depacketizer);
depacketizer.pipe(sinkTo((f) => {
  framesOut++;
  sink += f.data.length;
}));
// Packetize only.
const packetizerOnly = new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 0x1234 });
packetizerOnly.pipe(sinkTo((p) => (sink += p.payload.length)));

// Sanity before timing.
packetizer.push(frame(), 0);
if (framesOut !== 1) throw new Error("packetize/depacketize round trip failed");
const packetsPerFrame = packetizer.stats().packets!;

// One 1200-byte RTP packet for parse/serialize.
const wire = new RtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: rng.fill(new Uint8Array(1188)) }).serialize();
const wireBuffer = Buffer.from(wire);
const parsed = RtpPacket.parse(wire);
const weriftParsed = WeriftRtpPacket.deSerialize(wireBuffer);
const out = new Uint8Array(1500);

const rows: Row[] = [];
const config = b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } });
const collect = (name: string) =>
  b.complete((summary) => {
    for (const r of summary.results) rows.push({ case: name, impl: r.name, usPerOp: 1e6 / r.ops, opsPerSec: r.ops, marginPct: r.margin });
  });

await b.suite(
  `VP8 ${FRAME_BYTES}-byte frame (${packetsPerFrame} packets)`,
  config,
  b.add("packetize", () => {
    packetizerOnly.push(frame(), 0);
  }),
  b.add("packetize + depacketize", () => {
    packetizer.push(frame(), 0);
  }),
  b.cycle(),
  collect("frame"),
);

await b.suite(
  "RtpPacket 1200 bytes",
  config,
  b.add("rtcpipe parse", () => {
    sink += RtpPacket.parse(wire).payload.length;
  }),
  b.add("rtcpipe serializeInto (reused buffer)", () => {
    sink += parsed.serializeInto(out, 0);
  }),
  b.add("rtcpipe serialize (allocating)", () => {
    sink += parsed.serialize().length;
  }),
  b.add("werift deSerialize", () => {
    sink += WeriftRtpPacket.deSerialize(wireBuffer).payload.length;
  }),
  b.add("werift serialize", () => {
    sink += weriftParsed.serialize().length;
  }),
  b.cycle(),
  collect("packet"),
);

const result = {
  frameBytes: FRAME_BYTES,
  mtuBytes: 1200,
  packetsPerFrame,
  packetBytes: wire.length,
  node: process.version,
  rows,
  sink,
};
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "rtp.json"), JSON.stringify(result, null, 2) + "\n");
console.log("\ncase     impl                                    µs/op");
for (const r of rows) console.log(`${r.case.padEnd(8)} ${r.impl.padEnd(40)} ${r.usPerOp.toFixed(3)}`);
