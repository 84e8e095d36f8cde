/**
 * Video receive front benchmark: RTP packets through ReorderBuffer → Depacketizer, per packet,
 * for a two-temporal-layer VP8 stream (1-3 packets per frame, a keyframe every 2 s) that loses
 * 3% of its packets.
 * Side by side in one run: the buffer as before (every gap waited for until the tick gives it
 * up) and with `skipUnneededGaps` asking the depacketizer whether the next frame needs the gap
 * (the check runs on every packet that arrives while a gap is open), plus the lossless stream.
 *
 *   npx tsx bench/video-receive.ts [--max-time 1.5]
 *
 * Writes bench/results/video-receive.json and prints µs per packet.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import type { EncodedFrame } from "../src/codec/encoded-frame.js";
import { ReorderBuffer } from "../src/jitter/reorder-buffer.js";
import { sinkTo } from "../src/pipeline/stage.js";
import { Depacketizer } from "../src/rtp/depacketizer.js";
import { Packetizer } from "../src/rtp/packetizer.js";
import type { RtpPacket } from "../src/rtp/rtp-packet.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { here, MAX_TIME_S } from "./bench-args.js";

const FRAMES = 600;
const LOSS = 0.03;

interface Row {
  case: string;
  usPerPacket: number;
  marginPct: number;
}

// A 20 s stream at 30 fps: a keyframe every 2 s, base/upper frames of 300-3000 bytes between.
const rng = new SeededRandom(77);
function vp8Frame(size: number, keyframe: boolean, rtpTimestamp: number): EncodedFrame {
  const data = rng.fill(new Uint8Array(size));
  data[0] = (data[0]! & 0xfe) | (keyframe ? 0 : 1); // P bit (RFC 6386 9.1)
  if (keyframe) data.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 3); // 640x480
  return { kind: "video", codec: "vp8", data, keyframe, rtpTimestamp, captureTimeUs: 0, frameIndex: 0 };
}
const frames: EncodedFrame[] = [];
for (let i = 0; i < FRAMES; i++) {
  const key = i % 60 === 0;
  const f = vp8Frame(key ? 6000 : rng.int(300, 3000), key, i * 3000);
  frames.push({ ...f, temporalLayer: i % 2 });
}
const packetizer = new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 0x1234, mtuBytes: 1200 });
const all: RtpPacket[] = [];
packetizer.pipe(sinkTo((p) => void all.push(p)));
for (const f of frames) packetizer.push(f, 0);
const lossy = all.filter((_, i) => i === 0 || rng.next() >= LOSS);
const ARRIVAL_GAP_US = 5_000;

/** One pass of `packets` through a fresh reorder buffer and depacketizer; returns frames out. */
function run(packets: readonly RtpPacket[], skip: boolean): number {
  const reorder = new ReorderBuffer<RtpPacket>({ minWaitMs: 5, maxWaitMs: 100 });
  const depacketizer = new Depacketizer({ codec: "vp8", payloadType: 96 });
  let out = 0;
  reorder.pipe(depacketizer);
  depacketizer.pipe(sinkTo(() => void out++));
  if (skip) {
    reorder.skipUnneededGaps((run) => {
      const media = run.find((p) => p.payload.length > 0);
      return media !== undefined && depacketizer.canSkipTo(media) ? -Infinity : undefined;
    });
  }
  let t = 0;
  for (const p of packets) {
    t += ARRIVAL_GAP_US;
    reorder.push(p, t);
    reorder.tick(t);
  }
  reorder.tick(t + 1_000_000);
  return out;
}

// Sanity: skipping gives up only what nothing needs, so it emits at least as many frames.
const plainFrames = run(lossy, false);
const skipFrames = run(lossy, true);
if (skipFrames < plainFrames) throw new Error(`skipping emitted fewer frames (${skipFrames} < ${plainFrames})`);
console.log(`${all.length} packets, ${lossy.length} after ${LOSS * 100}% loss; frames out: ${run(all, false)} lossless, ${plainFrames} waiting for every gap, ${skipFrames} skipping unneeded gaps`);

const rows: Row[] = [];
const cases: [string, readonly RtpPacket[], boolean][] = [
  ["lossless, every gap waited for (baseline)", all, false],
  ["lossless, skipUnneededGaps", all, true],
  ["3% loss, every gap waited for (baseline)", lossy, false],
  ["3% loss, skipUnneededGaps", lossy, true],
];
await b.suite(
  "video receive front: ReorderBuffer → Depacketizer, µs per packet",
  b.configure({ cases: { maxTime: MAX_TIME_S, minSamples: 10 } }),
  ...cases.map(([name, packets, skip]) => b.add(name, () => void run(packets, skip))),
  b.complete((summary) => {
    summary.results.forEach((r, i) => {
      const n = cases[i]![1].length;
      rows.push({ case: r.name, usPerPacket: 1e6 / r.ops / n, marginPct: r.margin });
    });
  }),
);
for (const r of rows) console.log(`${r.case.padEnd(44)} ${r.usPerPacket.toFixed(3)} µs/packet (±${r.marginPct.toFixed(1)}%)`);
const outDir = path.join(here, "results");
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, "video-receive.json"), JSON.stringify({ date: new Date().toISOString(), packets: all.length, lossyPackets: lossy.length, rows }, null, 2));
