/**
 * Codec benchmark: per-frame encode/decode time of our WASM libvpx (VP8, VP9) against native
 * ffmpeg with libvpx / libvpx-vp9, side by side on the same clip and settings.
 *
 *   npx tsx bench/codec.ts [--frames 60] [--sizes 320x240,640x480,1280x720]
 *
 * Clip: ffmpeg testsrc2 as raw I420, generated once per size into a temp dir; both sides
 * encode exactly those bytes. Settings on both sides: 1 thread, realtime deadline, CBR at the
 * same bitrate, no lag, VP8 cpu_used -6 + error resilient, VP9 speed 9 + aq-mode 3, qmin 2,
 * qmax 63, drop threshold 30. WASM times are performance.now around each push (median);
 * native times come from ffmpeg's -benchmark_all per-call wall times, summed per frame
 * (median). Writes bench/results/codec.json and prints a table.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { EncodedFrame } from "../src/codec/encoded-frame.js";
import { VpxDecoder } from "../src/codec/vpx-decoder.js";
import { VpxEncoder } from "../src/codec/vpx-encoder.js";
import { createVideoFrame, i420Size, type VideoFrame } from "../src/media/video-frame.js";
import { sinkTo } from "../src/pipeline/stage.js";

interface Row {
  codec: "vp8" | "vp9";
  size: string;
  bitrateKbps: number;
  frames: number;
  wasmEncodeMs: number;
  wasmDecodeMs: number;
  wasmKbps: number;
  wasmPsnrY: number;
  nativeEncodeMs: number | null;
  nativeDecodeMs: number | null;
  nativeKbps: number | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const FRAMES = Number(arg("frames", "60"));
const SIZES = arg("sizes", "320x240,640x480,1280x720").split(",");
const FPS = 30;
const BITRATE_KBPS: Record<string, number> = { "320x240": 250, "640x480": 500, "1280x720": 1500 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function makeClip(dir: string, w: number, h: number): string {
  const file = path.join(dir, `testsrc2-${w}x${h}-${FRAMES}.yuv`);
  if (!fs.existsSync(file)) {
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=${FPS}`,
      "-frames:v", String(FRAMES), "-pix_fmt", "yuv420p", "-f", "rawvideo", "-y", file]);
  }
  return file;
}

function readFrames(file: string, w: number, h: number): VideoFrame[] {
  const bytes = fs.readFileSync(file);
  const size = i420Size(w, h);
  const frames: VideoFrame[] = [];
  for (let i = 0; i < FRAMES; i++) {
    const f = createVideoFrame(w, h, Math.round((i * 1e6) / FPS), i);
    f.y.set(bytes.subarray(i * size, i * size + w * h));
    f.u.set(bytes.subarray(i * size + w * h, i * size + w * h + f.u.length));
    f.v.set(bytes.subarray(i * size + w * h + f.u.length, (i + 1) * size));
    frames.push(f);
  }
  return frames;
}

function psnrY(a: VideoFrame, b: VideoFrame): number {
  let se = 0;
  for (let i = 0; i < a.y.length; i++) {
    const d = (a.y[i] ?? 0) - (b.y[i] ?? 0);
    se += d * d;
  }
  const mse = se / a.y.length;
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse);
}

async function wasmRun(codec: "vp8" | "vp9", frames: VideoFrame[], w: number, h: number, kbps: number) {
  const enc = await VpxEncoder.create({ codec, width: w, height: h, fps: FPS, bitrateBps: kbps * 1000 });
  const dec = await VpxDecoder.create({ codec });
  const encoded: EncodedFrame[] = [];
  enc.pipe(sinkTo((f: EncodedFrame) => encoded.push(f)));
  // Warm-up (JIT, first allocation) on a separate encoder so the measured one starts clean.
  const warm = await VpxEncoder.create({ codec, width: w, height: h, fps: FPS, bitrateBps: kbps * 1000 });
  for (let i = 0; i < Math.min(5, frames.length); i++) warm.push(frames[i]!, 0);
  warm.close();
  const encMs: number[] = [];
  for (const f of frames) {
    const t0 = performance.now();
    enc.push(f, 0);
    encMs.push(performance.now() - t0);
  }
  const decMs: number[] = [];
  const psnrs: number[] = [];
  for (const e of encoded) {
    const t0 = performance.now();
    const out = dec.decode(e);
    decMs.push(performance.now() - t0);
    if (out) psnrs.push(psnrY(frames[e.frameIndex]!, out));
  }
  const bytes = encoded.reduce((a, e) => a + e.data.length, 0);
  enc.close();
  dec.close();
  return {
    encodeMs: median(encMs),
    decodeMs: median(decMs),
    kbps: (bytes * 8 * FPS) / frames.length / 1000,
    psnrY: psnrs.reduce((a, b) => a + b, 0) / Math.max(1, psnrs.length),
  };
}

/** Sums ffmpeg -benchmark_all "real" µs of `kind` lines per frame (a frame = a run of them). */
function perFrameMs(stderr: string, kind: "encode_video" | "decode_video", other: string): number[] {
  const out: number[] = [];
  let current = -1;
  for (const line of stderr.split(/\r|\n/)) {
    const m = /bench:\s+\d+ user\s+\d+ sys\s+(\d+) real (\w+)/.exec(line);
    if (!m) continue;
    if (m[2] === kind) {
      if (current < 0) current = 0;
      current += Number(m[1]);
    } else if (m[2] === other && current >= 0) {
      out.push(current / 1000);
      current = -1;
    }
  }
  if (current >= 0) out.push(current / 1000);
  return out;
}

function nativeRun(codec: "vp8" | "vp9", clip: string, dir: string, w: number, h: number, kbps: number) {
  const webm = path.join(dir, `${codec}-${w}x${h}.webm`);
  const common = ["-deadline", "realtime", "-b:v", `${kbps}k`, "-minrate", `${kbps}k`, "-maxrate", `${kbps}k`,
    "-threads", "1", "-lag-in-frames", "0", "-qmin", "2", "-qmax", "63", "-drop-threshold", "30", "-static-thresh", "1"];
  const specific = codec === "vp8"
    ? ["-c:v", "libvpx", "-cpu-used", "-6", "-error-resilient", "1"]
    : ["-c:v", "libvpx-vp9", "-speed", "9", "-aq-mode", "3", "-row-mt", "0", "-tile-columns", "0", "-frame-parallel", "0"];
  const enc = ffmpegStderr(["-hide_banner", "-benchmark_all", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${w}x${h}`,
    "-r", String(FPS), "-i", clip, ...specific, ...common, "-f", "webm", "-y", webm]);
  const encMs = perFrameMs(enc, "encode_video", "decode_video");
  const dec = ffmpegStderr(["-hide_banner", "-benchmark_all", "-threads", "1", "-c:v", codec === "vp8" ? "libvpx" : "libvpx-vp9",
    "-i", webm, "-f", "null", "-"]);
  const decMs = perFrameMs(dec, "decode_video", "encode_video");
  const bytes = fs.statSync(webm).size;
  return { encodeMs: median(encMs), decodeMs: median(decMs), kbps: (bytes * 8 * FPS) / FRAMES / 1000 };
}

/** Runs ffmpeg and returns its stderr (where -benchmark_all writes). */
function ffmpegStderr(ffArgs: string[]): string {
  const r = spawnSync("ffmpeg", ffArgs, { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg ${ffArgs.join(" ")} failed: ${r.stderr.slice(-2000)}`);
  return r.stderr;
}

async function main(): Promise<void> {
  let haveFfmpeg = true;
  try {
    execFileSync("ffmpeg", ["-hide_banner", "-version"], { stdio: "ignore" });
  } catch {
    haveFfmpeg = false;
    console.warn("ffmpeg not found: native columns will be empty");
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rtcpipe-bench-codec-"));
  const rows: Row[] = [];
  try {
    for (const size of SIZES) {
      const [w, h] = size.split("x").map(Number) as [number, number];
      const kbps = BITRATE_KBPS[size] ?? Math.round((w * h * FPS * 0.05) / 1000);
      const clip = haveFfmpeg ? makeClip(dir, w, h) : "";
      const frames = haveFfmpeg ? readFrames(clip, w, h) : [];
      if (frames.length === 0) continue;
      for (const codec of ["vp8", "vp9"] as const) {
        const wasm = await wasmRun(codec, frames, w, h, kbps);
        const native = haveFfmpeg ? nativeRun(codec, clip, dir, w, h, kbps) : null;
        const row: Row = {
          codec,
          size,
          bitrateKbps: kbps,
          frames: FRAMES,
          wasmEncodeMs: round(wasm.encodeMs),
          wasmDecodeMs: round(wasm.decodeMs),
          wasmKbps: round(wasm.kbps),
          wasmPsnrY: round(wasm.psnrY),
          nativeEncodeMs: native ? round(native.encodeMs) : null,
          nativeDecodeMs: native ? round(native.decodeMs) : null,
          nativeKbps: native ? round(native.kbps) : null,
        };
        rows.push(row);
        process.stderr.write(`  done ${codec} ${size}\n`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    name: "codec",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "",
    clip: `ffmpeg testsrc2, ${FRAMES} frames at ${FPS} fps, raw I420`,
    settings: "1 thread, realtime, CBR, lag 0; VP8 cpu_used -6 + error resilient; VP9 speed 9 + aq-mode 3; qmin 2 qmax 63; drop threshold 30",
    unit: "median ms per frame",
    rows,
  };
  const outDir = path.join(here, "results");
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, "codec.json"), `${JSON.stringify(result, null, 2)}\n`);
  const fmt = (x: number | null, d = 2) => (x === null || !Number.isFinite(x) ? "-" : x.toFixed(d));
  console.log(`\nCodec ms/frame (median), ${FRAMES} frames, WASM (own libvpx -O3 -msimd128) vs native ffmpeg libvpx, 1 thread`);
  console.log("codec  size       kbps | enc WASM  enc native  ratio | dec WASM  dec native  ratio | WASM kbps  native kbps  WASM PSNR-Y");
  for (const r of rows) {
    const er = r.nativeEncodeMs ? r.wasmEncodeMs / r.nativeEncodeMs : null;
    const dr = r.nativeDecodeMs ? r.wasmDecodeMs / r.nativeDecodeMs : null;
    console.log(
      `${r.codec.padEnd(6)} ${r.size.padEnd(10)} ${String(r.bitrateKbps).padStart(4)} | ${fmt(r.wasmEncodeMs).padStart(8)}  ${fmt(r.nativeEncodeMs).padStart(10)}  ${fmt(er, 1).padStart(5)} | ${fmt(r.wasmDecodeMs).padStart(8)}  ${fmt(r.nativeDecodeMs).padStart(10)}  ${fmt(dr, 1).padStart(5)} | ${fmt(r.wasmKbps, 0).padStart(9)}  ${fmt(r.nativeKbps, 0).padStart(11)}  ${fmt(r.wasmPsnrY, 1).padStart(11)}`,
    );
  }
  console.log(`\nwrote ${path.relative(process.cwd(), path.join(outDir, "codec.json"))}`);
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();
