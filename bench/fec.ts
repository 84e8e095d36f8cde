/**
 * FEC benchmark: the XOR parity kernel (AssemblyScript SIMD, release build) against plain
 * TypeScript in the same run, and FecEncoder / FecDecoder cost per packet.
 *
 *   npx tsx bench/fec.ts
 *
 * - XOR of 4 × 1200-byte packets into one parity (one ULPFEC packet's work): WASM with the
 *   copies into linear memory (the real cost of a call), the kernel alone on data already
 *   there, the TypeScript reference (byte loop) and a TypeScript 32-bit-word loop.
 * - XOR of one 64 KiB and one 1 MiB buffer into another (xorInto).
 * - FecEncoder: 1200-byte media, 1 FEC per 4 media, µs per media packet (WASM and TS XOR).
 * - FecDecoder: the encoder's output at 0% and 10% loss, µs per received packet.
 * Writes bench/results/fec.json (GB/s = bytes XORed per second of the 1200-byte and large suites).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import b from "benny";
import type { Summary } from "benny/lib/internal/common-types.js";
import { FecDecoder } from "../src/fec/fec-decoder.js";
import { FecEncoder } from "../src/fec/fec-encoder.js";
import { sinkTo } from "../src/pipeline/stage.js";
import { RtpPacket } from "../src/rtp/rtp-packet.js";
import { SeededRandom } from "../src/util/seeded-random.js";
import { WasmKernels } from "../src/wasm/kernels.js";
import { xorIntoTs, xorPacketsTs } from "../src/wasm/reference-kernels.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const k = WasmKernels.get("release");
const rng = new SeededRandom(42);

/** XOR with 32-bit words where aligned: what a careful plain-TS implementation does. */
function xorPacketsTsWords(srcs: readonly Uint8Array[], outLen: number, out: Uint8Array): Uint8Array {
  out.fill(0, 0, outLen);
  const words = outLen >> 2;
  const o32 = new Uint32Array(out.buffer, out.byteOffset, words);
  for (const s of srcs) {
    const n = Math.min(s.length, outLen);
    const nw = n >> 2;
    if ((s.byteOffset & 3) === 0) {
      const s32 = new Uint32Array(s.buffer, s.byteOffset, nw);
      for (let i = 0; i < nw; i++) o32[i]! ^= s32[i]!;
      for (let i = nw << 2; i < n; i++) out[i]! ^= s[i]!;
    } else {
      for (let i = 0; i < n; i++) out[i]! ^= s[i]!;
    }
  }
  return out;
}

const pkts = Array.from({ length: 4 }, () => rng.fill(new Uint8Array(1200)));
const parity = new Uint8Array(1200);
const want = xorPacketsTs(pkts, 1200);
for (const got of [k.xorPackets(pkts, 1200), xorPacketsTsWords(pkts, 1200, new Uint8Array(1200))]) {
  if (got.some((v, i) => v !== want[i])) throw new Error("XOR mismatch");
}

// "Kernel only": the packets already sit in linear memory, one raw xorPackets export call.
const raw = k as unknown as { raw: { xorPackets(d: number, dl: number, s: number, l: number, c: number): void; xorInto(d: number, s: number, n: number): void }; scratchStart: number };
k.xorPackets(pkts, 1200); // lays out: parity at scratchStart, lens, packets
const pd = raw.scratchStart;
const pl = (pd + 1200 + 15) & ~15;
const ps = (pl + 16 + 15) & ~15;

const big64a = rng.fill(new Uint8Array(65536)), big64b = rng.fill(new Uint8Array(65536));
const big1a = rng.fill(new Uint8Array(1 << 20)), big1b = rng.fill(new Uint8Array(1 << 20));

const summaries: Summary[] = [];
const opts = { minSamples: 30, maxTime: 3 };
const done = b.complete((s) => void summaries.push(s));

await b.suite(
  "XOR 4 x 1200-byte packets into one parity",
  b.add("wasm simd (with copies)", () => k.xorPackets(pkts, 1200, parity), opts),
  b.add("wasm simd (kernel only)", () => raw.raw.xorPackets(pd, 1200, ps, pl, 4), opts),
  b.add("typescript (byte loop, reference)", () => xorPacketsTs(pkts, 1200, parity), opts),
  b.add("typescript (32-bit words)", () => xorPacketsTsWords(pkts, 1200, parity), opts),
  b.cycle(),
  done,
);

await b.suite(
  "XOR 64 KiB into 64 KiB",
  b.add("wasm simd (with copies)", () => k.xorInto(big64a, big64b), opts),
  b.add("typescript (byte loop, reference)", () => xorIntoTs(big64a, big64b), opts),
  b.cycle(),
  done,
);

await b.suite(
  "XOR 1 MiB into 1 MiB",
  b.add("wasm simd (with copies)", () => k.xorInto(big1a, big1b), opts),
  b.add("wasm simd (kernel only)", () => raw.raw.xorInto(pd, pd + (1 << 20), 1 << 20), opts),
  b.add("typescript (byte loop, reference)", () => xorIntoTs(big1a, big1b), opts),
  b.cycle(),
  done,
);

// FEC stages: 48 media packets of 1200 bytes (12 frames of 4) per op.
const MEDIA_PER_OP = 48;
const media = Array.from({ length: MEDIA_PER_OP }, (_, i) =>
  new RtpPacket({ payloadType: 96, sequenceNumber: i, timestamp: Math.floor(i / 4) * 3000, ssrc: 1, marker: i % 4 === 3, payload: rng.fill(new Uint8Array(1188)) }));
function encoderFor(xor: "wasm" | "typescript"): () => void {
  const enc = new FecEncoder({ protection: { fecPerMedia: 0.25 }, xor });
  let t = 0;
  return () => {
    for (const p of media) enc.push(p, t++);
  };
}

await b.suite(
  `FecEncoder, 1 FEC per 4 media, ${MEDIA_PER_OP} x 1200-byte media per op`,
  b.add("wasm xor", encoderFor("wasm"), opts),
  b.add("typescript xor", encoderFor("typescript"), opts),
  b.cycle(),
  done,
);

// Decoder input: a long encoded stream, with and without 10% loss.
const wire: RtpPacket[] = [];
{
  const enc = new FecEncoder({ protection: { fecPerMedia: 0.25 } });
  enc.pipe(sinkTo((p) => wire.push(RtpPacket.parse(p.serialize()))));
  for (let r = 0; r < 20; r++) for (const p of media) enc.push(p, 0);
}
const lossRng = new SeededRandom(7);
const lossy = wire.filter(() => lossRng.next() >= 0.1);
let recoveredPerRun = 0;
function decoderRun(input: RtpPacket[], xor: "wasm" | "typescript"): () => void {
  return () => {
    const dec = new FecDecoder({ xor });
    for (let i = 0; i < input.length; i++) dec.push(input[i]!, i);
    recoveredPerRun = dec.stats().recovered ?? 0;
  };
}
decoderRun(lossy, "wasm")();
const recoveredLossy = recoveredPerRun;

await b.suite(
  `FecDecoder over ${wire.length} packets (1 FEC per 4 media)`,
  b.add("no loss, wasm xor", decoderRun(wire, "wasm"), opts),
  b.add(`10% loss (${lossy.length} received, ${recoveredLossy} recovered), wasm xor`, decoderRun(lossy, "wasm"), opts),
  b.add("10% loss, typescript xor", decoderRun(lossy, "typescript"), opts),
  b.cycle(),
  done,
);

const bytesPerOp: Record<string, number> = {
  "XOR 4 x 1200-byte packets into one parity": 4 * 1200,
  "XOR 64 KiB into 64 KiB": 65536,
  "XOR 1 MiB into 1 MiB": 1 << 20,
};
const perOpPackets = (suite: string, name: string): number =>
  suite.startsWith("FecEncoder") ? MEDIA_PER_OP : suite.startsWith("FecDecoder") ? (name.startsWith("no loss") ? wire.length : lossy.length) : 1;

const out = {
  date: new Date().toISOString(),
  node: process.version,
  suites: summaries.map((s) => ({
    name: s.name,
    results: s.results.map((r) => {
      const usPerOp = 1e6 / r.ops;
      const bytes = bytesPerOp[s.name];
      return {
        name: r.name,
        opsPerSec: Math.round(r.ops),
        usPerOp: Number(usPerOp.toFixed(3)),
        ...(bytes ? { gbPerSec: Number(((bytes * r.ops) / 1e9).toFixed(2)) } : { usPerPacket: Number((usPerOp / perOpPackets(s.name, r.name)).toFixed(3)) }),
        marginPct: r.margin,
        samples: r.samples,
      };
    }),
    fastest: s.fastest.name,
    speedupFastestVsSlowest: Number((s.results[s.fastest.index]!.ops / s.results[s.slowest.index]!.ops).toFixed(2)),
  })),
};
fs.mkdirSync(path.join(here, "results"), { recursive: true });
fs.writeFileSync(path.join(here, "results", "fec.json"), JSON.stringify(out, null, 2) + "\n");
for (const s of out.suites) {
  console.log(`\n${s.name}`);
  for (const r of s.results) {
    const extra = "gbPerSec" in r ? `${String(r.gbPerSec).padStart(7)} GB/s` : `${String(r.usPerPacket).padStart(7)} µs/packet`;
    console.log(`  ${r.name.padEnd(52)} ${String(r.usPerOp).padStart(10)} µs/op  ${extra}  ±${r.marginPct}%`);
  }
}
