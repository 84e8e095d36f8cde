/**
 * Per-frame cost of the non-codec media path for a 640x480 frame at 1 Mbps (30 fps: ~4.2 KB
 * per frame, 4 packets), stage by stage and whole, side by side in one run with the VP8 encode
 * of a 640x480 frame (the codec it must be a rounding error next to; target < 1%).
 *
 *   send:    Packetizer → RtpPacket.serialize → SRTP protect (AEAD_AES_128_GCM and AES_CM_80)
 *   receive: SRTP unprotect → RtpPacket.parse → ReorderBuffer → Depacketizer → VideoPlayoutBuffer
 *
 *   npx tsx bench/media-path.ts
 *
 * Writes bench/results/media-path.json.
 */
import b from "benny";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { EncodedFrame } from "../src/codec/encoded-frame.js";
import { VpxEncoder } from "../src/codec/vpx-encoder.js";
import { ReorderBuffer } from "../src/jitter/reorder-buffer.js";
import { VideoPlayoutBuffer } from "../src/jitter/video-playout-buffer.js";
import { TestPatternSource } from "../src/media/test-pattern-source.js";
import { Depacketizer } from "../src/rtp/depacketizer.js";
import { Packetizer } from "../src/rtp/packetizer.js";
import { RtpPacket } from "../src/rtp/rtp-packet.js";
import { SrtpSession } from "../src/srtp/srtp-session.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../src/srtp/srtp-suite.js";
import { SeededRandom } from "../src/util/seeded-random.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const FRAME_BYTES = Math.round(1_000_000 / 8 / 30);
const rng = new SeededRandom(42);

// Frame payloads are made once, outside the timed loop.
const keyPayload = rng.fill(new Uint8Array(FRAME_BYTES));
keyPayload[0] = 0x10; // VP8 payload header, P bit 0: a keyframe
const deltaPayload = rng.fill(new Uint8Array(FRAME_BYTES));
deltaPayload[0] = 0x11; // P bit 1: an interframe

function frame(i: number): EncodedFrame {
  const data = i === 0 ? keyPayload : deltaPayload;
  return { kind: "video", codec: "vp8", data, keyframe: i === 0, rtpTimestamp: (i * 3000) >>> 0, captureTimeUs: i * 33_333, frameIndex: i };
}

function keys(suite: SrtpSuiteName) {
  const p = SRTP_SUITES[suite];
  return { suite, masterKey: rng.fill(new Uint8Array(p.keyLength)), masterSalt: rng.fill(new Uint8Array(p.saltLength)) };
}

/** One full pass of the non-codec path for one frame; returns the frames that came out. */
function makePath(suite: SrtpSuiteName) {
  const k = keys(suite);
  const tx = new SrtpSession(k);
  const rx = new SrtpSession(k);
  const packetizer = new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 1234, mtuBytes: 1200 });
  const packets: RtpPacket[] = [];
  packetizer.pipe({ push: (p: RtpPacket) => void packets.push(p) });
  const reorder = new ReorderBuffer<RtpPacket>();
  const depack = new Depacketizer({ codec: "vp8", payloadType: 96 });
  const playout = new VideoPlayoutBuffer();
  let out = 0;
  reorder.pipe(depack);
  depack.pipe(playout);
  playout.pipe({ push: () => void out++ });
  let i = 0;
  const wire: Uint8Array[] = [];
  return {
    send(): Uint8Array[] {
      packets.length = 0;
      wire.length = 0;
      packetizer.push(frame(i), i * 33_333);
      for (const p of packets) wire.push(tx.protectRtp(p.serialize()));
      return wire;
    },
    receive(datagrams: Uint8Array[]): void {
      const now = i * 33_333 + 20_000;
      for (const d of datagrams) reorder.push(RtpPacket.parse(rx.unprotectRtp(d)), now);
      playout.tick(now);
      i++;
    },
    get framesOut() {
      return out;
    },
  };
}

// Stage by stage, each on the same frame (4 packets).
const stageKeys = keys("AEAD_AES_128_GCM");
const stageTx = new SrtpSession(stageKeys);
const stagePacketizer = new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 99, mtuBytes: 1200 });
const stagePackets: RtpPacket[] = [];
stagePacketizer.pipe({ push: (p: RtpPacket) => void stagePackets.push(p) });
let stageI = 0;
stagePacketizer.push(frame(0), 0);
const fixedPackets = stagePackets.slice();
const fixedPlain = fixedPackets.map((p) => p.serialize());
const serialBuf = new Uint8Array(1500);
// Unprotect needs fresh sequence numbers: a ring of protected copies of the same frame.
const RING = 4096;
const ringTx = new SrtpSession(stageKeys);
const ring: Uint8Array[][] = [];
for (let r = 0; r < RING; r++) {
  ring.push(fixedPackets.map((p) => {
    const q = RtpPacket.parse(p.serialize());
    q.sequenceNumber = (r * 4 + fixedPackets.indexOf(p)) & 0xffff;
    return ringTx.protectRtp(q.serialize());
  }));
}
let ringRx = new SrtpSession(stageKeys);
let ringI = 0;
const stageRx = (): void => {
  if (ringI === RING) {
    ringI = 0;
    ringRx = new SrtpSession(stageKeys);
  }
  for (const d of ring[ringI++]!) RtpPacket.parse(ringRx.unprotectRtp(d));
};
const asmReorder = new ReorderBuffer<RtpPacket>();
const asmDepack = new Depacketizer({ codec: "vp8", payloadType: 96 });
const asmPlayout = new VideoPlayoutBuffer();
asmReorder.pipe(asmDepack);
asmDepack.pipe(asmPlayout);
asmPlayout.pipe({ push: () => {} });
let asmI = 0;
const asmFrames = Array.from({ length: 1 << 14 }, (_, n) => fixedPackets.map((p) => {
  const q = RtpPacket.parse(p.serialize());
  q.sequenceNumber = (n * 4 + fixedPackets.indexOf(p)) & 0xffff;
  q.timestamp = (n * 3000) >>> 0;
  return q;
}));

const results: Record<string, { opsPerSec: number; usPerOp: number }> = {};
const pathGcm = makePath("AEAD_AES_128_GCM");
const pathCm = makePath("AES_CM_128_HMAC_SHA1_80");
const source = new TestPatternSource({ width: 640, height: 480, fps: 30 });
const encoder = await VpxEncoder.create({ codec: "vp8", width: 640, height: 480, fps: 30, bitrateBps: 1_000_000 });
encoder.pipe({ push: () => {} });
let encIndex = 0;
const raw = Array.from({ length: 30 }, (_, n) => source.frameAt(n));

await b.suite(
  "media path per 640x480 frame at 1 Mbps (4 packets)",
  b.add("non-codec path, AEAD_AES_128_GCM (send + receive)", () => pathGcm.receive(pathGcm.send())),
  b.add("non-codec path, AES_CM_128_HMAC_SHA1_80 (send + receive)", () => pathCm.receive(pathCm.send())),
  b.add("stage: packetize (Packetizer, 4 packets)", () => {
    stagePackets.length = 0;
    stagePacketizer.push(frame(++stageI), stageI * 33_333);
  }),
  b.add("stage: serialize + SRTP protect GCM (4 packets)", () => {
    for (const p of fixedPackets) {
      const n = p.serializeInto(serialBuf, 0);
      stageTx.protectRtp(serialBuf.subarray(0, n));
    }
  }),
  b.add("stage: SRTP unprotect GCM + parse (4 packets)", stageRx),
  b.add("stage: reorder + depacketize + playout (4 packets)", () => {
    const pk = asmFrames[asmI & ((1 << 14) - 1)]!;
    const now = asmI * 33_333;
    for (const p of pk) asmReorder.push(p, now);
    asmPlayout.tick(now);
    asmI++;
  }),
  b.add("VP8 encode 640x480 @1 Mbps (WASM, the codec)", () => {
    const f = raw[encIndex % 30]!;
    f.captureTimeUs = encIndex * 33_333;
    encoder.push(f, encIndex * 33_333);
    encIndex++;
  }),
  b.cycle(),
  b.complete((summary) => {
    for (const r of summary.results) results[r.name] = { opsPerSec: r.ops, usPerOp: 1e6 / r.ops };
  }),
  b.save({ file: "media-path-benny", folder: path.join(here, "results"), format: "json" }),
);

const names = Object.keys(results);
const enc = results[names[names.length - 1]!]!.usPerOp;
const table = names.map((n) => ({ name: n, usPerFrame: +results[n]!.usPerOp.toFixed(2), percentOfVp8Encode: +((100 * results[n]!.usPerOp) / enc).toFixed(3) }));
console.table(table);
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "media-path.json"), JSON.stringify({ date: new Date().toISOString(), frameBytes: FRAME_BYTES, table, framesOut: pathGcm.framesOut }, null, 2));
encoder.close();
