/**
 * NetEQ playout cost per 20 ms of output (one `getAudio` plus that tick's `insertPacket`s), on
 * an endless speech stream whose path alternates 10 s of 0-120 ms uniform jitter (reordering,
 * late packets) with 10 s of none, so every operation (normal, accelerate, preemptive expand,
 * expand, merge) runs. Side by side in one run:
 *
 *   - the playout with a decoder that returns pre-decoded PCM: decision + buffers + time stretch
 *     + merge, EXCLUDING Opus decode;
 *   - the same with the real Opus decoder (WASM): INCLUDING decode;
 *   - the parts alone: DecisionLogic.decide, TimeStretch.accelerate on 40 ms of voiced speech,
 *     Opus decode of one 20 ms packet.
 *
 *   npx tsx bench/neteq.ts
 *
 * Writes bench/results/neteq.json (and the raw benny report neteq-benny.json).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import b from "benny";
import type { EncodedFrame } from "../src/codec/encoded-frame.js";
import { OpusDecoder } from "../src/codec/opus-decoder.js";
import { OpusEncoder } from "../src/codec/opus-encoder.js";
import { DecisionLogic } from "../src/jitter/neteq/decision-logic.js";
import type { NetEqDecoder } from "../src/jitter/neteq/neteq-decoder.js";
import { NetEqPlayout } from "../src/jitter/neteq/neteq-playout.js";
import type { NetEqPacket } from "../src/jitter/neteq/packet-buffer.js";
import { TimeStretch } from "../src/jitter/neteq/time-stretch.js";
import { AUDIO_FRAME_SAMPLES, createAudioFrame, type AudioFrame } from "../src/media/audio-frame.js";
import { SpeechLikeSource } from "../src/media/speech-like-source.js";
import { SeededRandom } from "../src/util/seeded-random.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const F = AUDIO_FRAME_SAMPLES;
const N = 500; // 10 s of distinct packets, cycled

// Speech, encoded once, and decoded once for the decode-free playout.
const src = new SpeechLikeSource({ seed: 2 });
const enc = await OpusEncoder.create({ bitrateBps: 32_000, inbandFec: true, expectedLossPct: 10 });
const payloads: Uint8Array[] = [];
for (let i = 0; i < N; i++) payloads.push(enc.encode(src.frameAt(i)).data);
enc.close();
const refDecoder = await OpusDecoder.create();
const decoded: Int16Array[] = payloads.map((p) => refDecoder.decode({ kind: "audio", codec: "opus", data: p, keyframe: true, rtpTimestamp: 0, captureTimeUs: NaN, frameIndex: -1 })!.samples.slice());

/** A decoder that returns pre-decoded PCM (the payload's first bytes pick the frame): no codec cost. */
class PcmDecoder implements NetEqDecoder {
  readonly channels = 1 as const;
  private next = 0;
  private frame(): AudioFrame {
    const f = createAudioFrame(1);
    f.samples.set(decoded[this.next++ % N]!);
    return f;
  }
  decode(_frame: EncodedFrame): AudioFrame {
    return this.frame();
  }
  conceal(): AudioFrame {
    const f = this.frame();
    f.concealed = true;
    return f;
  }
  decodeFec(_next: EncodedFrame): AudioFrame {
    return this.conceal();
  }
}

/** An endless stream through the alternating jitter path into one playout. */
function makeStream(playout: NetEqPlayout): () => void {
  const rng = new SeededRandom(5);
  const pending: { p: NetEqPacket; at: number }[] = [];
  let made = 0;
  let tick = 0;
  return () => {
    const now = 10_000 + tick * 20_000;
    while (made <= tick + 8) {
      const jitter = Math.floor(made / 500) % 2 === 0 ? rng.next() * 120_000 : 0;
      pending.push({ p: { sequenceNumber: made & 0xffff, timestamp: (made * F) >>> 0, payload: payloads[made % N]! }, at: made * 20_000 + 5_000 + jitter });
      made++;
    }
    for (let i = 0; i < pending.length; ) {
      if (pending[i]!.at <= now) {
        playout.insertPacket(pending[i]!.p, pending[i]!.at);
        pending[i] = pending[pending.length - 1]!;
        pending.pop();
      } else i++;
    }
    playout.getAudio(now);
    tick++;
  };
}

const fakeStep = makeStream(new NetEqPlayout(new PcmDecoder()));
const opusPlayout = await NetEqPlayout.create();
const opusStep = makeStream(opusPlayout);

// Parts alone.
const logic = new DecisionLogic();
const held = new Set([0, 960, 1920, 2880]);
let decideI = 0;
const decide = () =>
  logic.decide({
    needData: true, playTs: (decideI++ % 4) * 960, generatedSamples: 0, earliestTs: 0,
    has: (ts) => held.has(ts), hasFec: () => false, earliestIsNextSeq: false, lastPacketDtx: false,
    lastWasConcealment: false, consecutiveExpands: 0, bufferLevelSamples: 4 * 960, targetLevelSamples: 3 * 960,
  });
const voiced: Int16Array[] = [];
for (let i = 0; i + 1 < N && voiced.length < 20; i++) {
  if (!src.isSpeech(i) || !src.isSpeech(i + 1)) continue;
  const x = new Int16Array(2 * F);
  x.set(decoded[i]!, 0);
  x.set(decoded[i + 1]!, F);
  voiced.push(x);
}
const stretch = new TimeStretch();
let vi = 0;
const bareDecoder = await OpusDecoder.create();
let di = 0;

// Warm up and collect the operation mix of one 60 s run for the report.
const warm = new NetEqPlayout(new PcmDecoder());
const warmStep = makeStream(warm);
for (let i = 0; i < 3000; i++) warmStep();
const mix = warm.stats();

const results: Record<string, { opsPerSec: number; usPerOp: number }> = {};
await b.suite(
  "NetEQ playout per 20 ms of output",
  b.add("playout per 20 ms, EXCLUDING Opus decode (decision + buffers + time stretch + merge)", fakeStep),
  b.add("playout per 20 ms, INCLUDING Opus decode (real WASM decoder)", opusStep),
  b.add("part: DecisionLogic.decide", decide),
  b.add("part: TimeStretch.accelerate, 40 ms of voiced speech", () => stretch.accelerate(voiced[vi++ % voiced.length]!)),
  b.add("part: Opus decode of one 20 ms packet (reference)", () => {
    bareDecoder.decode({ kind: "audio", codec: "opus", data: payloads[di++ % N]!, keyframe: true, rtpTimestamp: 0, captureTimeUs: NaN, frameIndex: -1 });
  }),
  b.cycle(),
  b.complete((summary) => {
    for (const r of summary.results) results[r.name] = { opsPerSec: r.ops, usPerOp: 1e6 / r.ops };
  }),
  b.save({ file: "neteq-benny", folder: path.join(here, "results"), format: "json" }),
);

const table = Object.entries(results).map(([name, r]) => ({ name, usPer20ms: +r.usPerOp.toFixed(2), usPer10ms: +(r.usPerOp / 2).toFixed(2), percentOfRealTime: +((100 * r.usPerOp) / 20_000).toFixed(4) }));
console.table(table);
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(
  path.join(here, "results", "neteq.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, path: "10 s jitter 0-120 ms / 10 s none, alternating", operationMixOf60s: mix, table }, null, 2),
);
opusPlayout.close();
bareDecoder.close();
refDecoder.close();
