/**
 * Helpers for the real-peer interop tests (see /work/shared/interop/README.md): tool checks
 * that fail in CI and skip with an install hint elsewhere, peers spawned under `timeout`,
 * UDP port waits, media comparison (PSNR with frame alignment, audio envelope correlation).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AudioFrame } from "../../src/media/audio-frame.js";
import { SpeechLikeSource } from "../../src/media/speech-like-source.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { WavReader } from "../../src/media/wav-reader.js";
import { WavWriter } from "../../src/media/wav-writer.js";
import { Y4mReader } from "../../src/media/y4m-reader.js";
import { psnr } from "../../src/metrics/psnr.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { expect } from "vitest";

export const REPO = resolve(import.meta.dirname, "../..");
export const INSTALL_HINT =
  "install it with `sudo apt-get install --no-install-recommends gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav ffmpeg` (or run scripts/install-deps.sh)";

/** True when `cmd` is on PATH. */
export function hasTool(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/**
 * Whether the suite can run with these tools. In CI (env CI set) a missing tool throws, so
 * the suite fails; on a developer machine it returns false and says how to install it.
 */
export function toolsAvailable(suite: string, tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return true;
  const msg = `${suite}: missing ${missing.join(", ")}; ${INSTALL_HINT}`;
  if (process.env["CI"]) throw new Error(`${msg} (CI is set, so this fails instead of skipping)`);
  console.warn(`SKIPPED ${msg}`);
  return false;
}

export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Peer {
  proc: ChildProcess;
  done: Promise<PeerResult>;
  /** SIGINT (gst-launch -e and ffmpeg finish their files), then waits. */
  stop(): Promise<PeerResult>;
}

/** Spawns `cmd args` under `timeout seconds`, one argv element per token. */
export function startPeer(cmd: string, args: string[], timeoutS: number, env: Record<string, string> = {}): Peer {
  // --foreground: a SIGINT to `timeout` reaches the peer once (without it, timeout also signals
  // its process group, and a second SIGINT kills gst-launch before it finishes its file).
  const proc = spawn("timeout", ["--foreground", "-k", "5", String(timeoutS), cmd, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<PeerResult>((res) => proc.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return {
    proc,
    done,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGINT");
      return done;
    },
  };
}

/** Starts the rtcpipe CLI from the sources (bin/rtcpipe-dev.ts via tsx). */
export function startRtcpipe(args: string[], timeoutS: number): Peer {
  return startPeer(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), ...args], timeoutS);
}

function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const f of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local?.endsWith(hex)) return true;
    }
  }
  return false;
}

/** Waits until something listens on UDP `port` (as wait-port.sh), polling every 20 ms. */
export async function waitUdpPort(port: number, timeoutMs = 10_000, peer?: Peer): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (udpPortBound(port)) return;
    if (peer && (peer.proc.exitCode !== null || peer.proc.signalCode !== null)) {
      const r = await peer.done;
      throw new Error(`the receiver exited (${r.code ?? r.signal}) before binding UDP ${port}: ${r.stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on UDP ${port} after ${timeoutMs} ms`);
}

/**
 * A base port P (even) with P..P+count-1 free on 127.0.0.1, picked at random in 20000-39998 and
 * checked by binding: fixed ports collide when two test runs share the machine.
 */
export async function freeUdpPorts(count = 4): Promise<number> {
  const tryBind = (port: number): Promise<boolean> =>
    new Promise((res) => {
      const s = createSocket("udp4");
      s.once("error", () => {
        s.close();
        res(false);
      });
      s.bind(port, "127.0.0.1", () => s.close(() => res(true)));
    });
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = !udpPortBound(base + i) && (await tryBind(base + i));
    if (ok) return base;
  }
  throw new Error(`no ${count} free UDP ports found`);
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `rtcpipe-interop-${tag}-`));
}

/**
 * All frames of a Y4M file (small clips only). GStreamer's y4menc writes "F0:1" when the RTP
 * caps carry no frame rate; that header is patched to F30:1 (in a copy) so Y4mReader takes it.
 */
export function readY4m(path: string): VideoFrame[] {
  const bytes = readFileSync(path);
  const nl = bytes.indexOf(0x0a);
  const head = bytes.subarray(0, nl).toString("latin1");
  if (/ F0:\d+/.test(head)) {
    const fixed = head.replace(/ F0:\d+/, " F30:1");
    path = `${path}.fixed.y4m`;
    writeFileSync(path, Buffer.concat([Buffer.from(fixed, "latin1"), bytes.subarray(nl)]));
  }
  const r = new Y4mReader(path);
  const out: VideoFrame[] = [];
  try {
    for (let f = r.next(); f !== undefined; f = r.next()) out.push(f);
  } finally {
    r.close();
  }
  return out;
}

/** Mono samples of a WAV file. */
export function readWavMono(path: string): Int16Array {
  const r = new WavReader(path, { channels: 1 });
  const out = new Int16Array(r.frameCount * 960);
  try {
    for (let i = 0; i < r.frameCount; i++) out.set(r.frameAt(i)!.samples, i * 960);
  } finally {
    r.close();
  }
  return out;
}

/** The speech-like test signal (seed 1, mono) as samples, `frames` × 20 ms. */
export function speechSamples(frames: number): Int16Array {
  const s = new SpeechLikeSource({ channels: 1 });
  const out = new Int16Array(frames * 960);
  for (let i = 0; i < frames; i++) out.set((s.frameAt(i) as AudioFrame).samples, i * 960);
  return out;
}

/** Writes the speech-like test signal to a WAV file. */
export function writeSpeechWav(path: string, frames: number): void {
  const w = new WavWriter(path, { channels: 1 });
  const s = new SpeechLikeSource({ channels: 1 });
  for (let i = 0; i < frames; i++) w.write(s.frameAt(i));
  w.close();
}

/** A deterministic 320x240 testsrc2 clip made by ffmpeg (the reference for peer → rtcpipe). */
export function makeClip(path: string, frames: number, size = "320x240", fps = 30): void {
  const r = spawnSync("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=${fps}`, "-frames:v", String(frames), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", path]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make the clip: ${r.stderr.toString()}`);
}

export interface AlignedPsnr {
  /** Received frames matched to a reference frame. */
  matched: number;
  /** Index in the reference of the first received frame. */
  offset: number;
  meanPsnr: number;
  minPsnr: number;
}

/**
 * PSNR of received frames against a reference clip, aligned: the start offset (0..maxOffset)
 * that maximizes PSNR over the first frames (the receiver may start late), then each next
 * received frame is matched to the best of the next 4 reference frames (frames may be lost).
 */
export function alignedPsnr(received: VideoFrame[], reference: VideoFrame[], maxOffset = 30): AlignedPsnr {
  if (received.length === 0) return { matched: 0, offset: -1, meanPsnr: 0, minPsnr: 0 };
  const p = (a: VideoFrame, b: VideoFrame): number => Math.min(99, psnr(a, b).average);
  let offset = 0;
  let best = -1;
  const probe = Math.min(3, received.length);
  for (let o = 0; o <= maxOffset && o + probe <= reference.length; o++) {
    let s = 0;
    for (let i = 0; i < probe; i++) s += p(received[i]!, reference[o + i]!);
    if (s > best) {
      best = s;
      offset = o;
    }
  }
  const values: number[] = [];
  let j = offset - 1;
  for (const f of received) {
    let bestJ = -1;
    let bestV = -1;
    for (let k = j + 1; k <= j + 4 && k < reference.length; k++) {
      const v = p(f, reference[k]!);
      if (v > bestV) {
        bestV = v;
        bestJ = k;
      }
    }
    if (bestJ < 0) break;
    values.push(bestV);
    j = bestJ;
  }
  return { matched: values.length, offset, meanPsnr: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), minPsnr: Math.min(...values) };
}

/** RMS envelope in blocks of `blockSamples`. */
function envelope(x: Int16Array, blockSamples: number): Float64Array {
  const n = Math.floor(x.length / blockSamples);
  const e = new Float64Array(n);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = b * blockSamples; i < (b + 1) * blockSamples; i++) s += x[i]! * x[i]!;
    e[b] = Math.sqrt(s / blockSamples);
  }
  return e;
}

export interface AudioMatch {
  /** Seconds of decoded audio. */
  durationS: number;
  /** RMS level of the decoded audio, dBFS. */
  rmsDbfs: number;
  /** Pearson correlation of the 5 ms RMS envelopes at the best lag. */
  envelopeCorrelation: number;
  /** Received lags the source by this much (s). */
  lagS: number;
}

/** Compares decoded audio with its source: level, and envelope correlation at the best lag (±maxLagS). */
export function matchAudio(received: Int16Array, source: Int16Array, maxLagS = 0.5): AudioMatch {
  let sq = 0;
  for (let i = 0; i < received.length; i++) sq += received[i]! * received[i]!;
  const rms = Math.sqrt(sq / Math.max(1, received.length));
  const block = 240; // 5 ms
  const er = envelope(received, block);
  const es = envelope(source, block);
  const maxLag = Math.round((maxLagS * 48_000) / block);
  let bestC = -1;
  let bestLag = 0;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    // received[i + lag] ~ source[i]
    const pairs: [number, number][] = [];
    for (let i = 0; i < es.length; i++) {
      const k = i + lag;
      if (k >= 0 && k < er.length) pairs.push([es[i]!, er[k]!]);
    }
    if (pairs.length < 100) continue;
    const c = pearson(pairs);
    if (c > bestC) {
      bestC = c;
      bestLag = lag;
    }
  }
  return { durationS: received.length / 48_000, rmsDbfs: 20 * Math.log10(Math.max(1e-9, rms / 32768)), envelopeCorrelation: bestC, lagS: (bestLag * block) / 48_000 };
}

function pearson(pairs: [number, number][]): number {
  const n = pairs.length;
  let sa = 0, sb = 0;
  for (const [a, b] of pairs) {
    sa += a;
    sb += b;
  }
  const ma = sa / n, mb = sb / n;
  let num = 0, da = 0, db = 0;
  for (const [a, b] of pairs) {
    num += (a - ma) * (b - mb);
    da += (a - ma) ** 2;
    db += (b - mb) ** 2;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/** Hex of bytes (GStreamer srtp-key). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** Deterministic key material of `length` bytes. */
export function testKey(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 37 + seed * 11 + 5) & 0xff);
}

/** GStreamer srtpenc/srtpdec cipher and auth names of a suite. */
export function gstSrtpParams(suite: "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM"): { cipher: string; auth: string } {
  return suite === "AEAD_AES_128_GCM" ? { cipher: "aes-128-gcm", auth: "null" } : { cipher: "aes-128-icm", auth: "hmac-sha1-80" };
}

export interface StreamUnderTest {
  codec: "vp8" | "vp9" | "opus";
  srtp: "none" | "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM";
  /** Video temporal layers `rtcpipe send` uses (default 1). */
  temporalLayers?: 1 | 2;
  /** Opus per packet `rtcpipe send` uses (default 20 ms). */
  audioPtimeMs?: 20 | 60;
}

/** The GStreamer RTP caps (or SRTP caps, with ssrc and key) for a stream. */
export function gstCaps(s: StreamUnderTest, payloadType: number, ssrc: number, key?: Uint8Array): string {
  const video = s.codec !== "opus";
  const base = video
    ? `media=(string)video,clock-rate=(int)90000,encoding-name=(string)${s.codec.toUpperCase()},payload=(int)${payloadType}`
    : `media=(string)audio,clock-rate=(int)48000,encoding-name=(string)OPUS,payload=(int)${payloadType}`;
  if (s.srtp === "none") return `application/x-rtp,${base}`;
  const p = gstSrtpParams(s.srtp);
  return `application/x-srtp,${base},ssrc=(uint)${ssrc},srtp-key=(buffer)${hex(key!)},srtp-cipher=(string)${p.cipher},srtp-auth=(string)${p.auth},srtcp-cipher=(string)${p.cipher},srtcp-auth=(string)${p.auth}`;
}

/** Thresholds for what a third-party peer decodes of `rtcpipe send`'s 320x240 test pattern. */
export const MIN_MEAN_PSNR = 30;
export const MIN_FRAME_PSNR = 22;

/**
 * Checks what a peer decoded from `rtcpipe send`: video (a Y4M of the test pattern; each frame
 * matched to its source by the pattern's barcode) must hold >= 90% of the frames sent with
 * PSNR above the thresholds; audio (a WAV of the speech-like source) >= 90% of the duration,
 * louder than -40 dBFS, envelope correlation > 0.8.
 */
export function expectReceivedFromRtcpipe(label: string, outPath: string, sent: { videoFrames?: number; audioFrames?: number }): void {
  if (sent.videoFrames !== undefined) {
    const n = sent.videoFrames;
    const pattern = new TestPatternSource({ width: 320, height: 240, fps: 30 });
    const frames = readY4m(outPath);
    const seen = new Set<number>();
    const values: number[] = [];
    for (const f of frames) {
      const idx = pattern.readFrameIndex(f);
      if (idx < 0 || idx >= n) continue;
      seen.add(idx);
      values.push(Math.min(99, psnr(f, pattern.frameAt(idx)).average));
    }
    const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    console.log(`${label}: sent ${n}, decoded ${frames.length}, distinct ${seen.size}, PSNR mean ${mean.toFixed(2)} min ${Math.min(...values).toFixed(2)} dB`);
    expect(seen.size).toBeGreaterThanOrEqual(Math.floor(0.9 * n));
    expect(mean).toBeGreaterThan(MIN_MEAN_PSNR);
    expect(Math.min(...values)).toBeGreaterThan(MIN_FRAME_PSNR);
  }
  if (sent.audioFrames !== undefined) {
    const n = sent.audioFrames;
    const m = matchAudio(readWavMono(outPath), speechSamples(n));
    console.log(`${label}: sent ${(n * 0.02).toFixed(2)} s, decoded ${m.durationS.toFixed(2)} s, ${m.rmsDbfs.toFixed(1)} dBFS, envelope r=${m.envelopeCorrelation.toFixed(3)} at lag ${(m.lagS * 1000).toFixed(0)} ms`);
    expect(m.durationS).toBeGreaterThanOrEqual(0.9 * n * 0.02);
    expect(m.rmsDbfs).toBeGreaterThan(-40);
    expect(m.envelopeCorrelation).toBeGreaterThan(0.8);
  }
}

/**
 * Checks what `rtcpipe receive` decoded from a peer: video (Y4M, aligned to the reference clip)
 * must hold >= 90% of `clipFrames` frames with mean PSNR above MIN_MEAN_PSNR; audio (WAV of the
 * speech-like source) >= 90% of the duration, louder than -40 dBFS, envelope correlation > 0.8.
 */
export function expectRtcpipeDecoded(
  label: string,
  outPath: string,
  summary: { packets: number; lost: number; videoFramesDecoded: number },
  expected: { reference: VideoFrame[]; clipFrames: number } | { audioFrames: number },
): void {
  if ("reference" in expected) {
    const a = alignedPsnr(readY4m(outPath), expected.reference);
    console.log(`${label}: packets ${summary.packets}, lost ${summary.lost}, decoded ${summary.videoFramesDecoded}/${expected.clipFrames}, offset ${a.offset}, PSNR mean ${a.meanPsnr.toFixed(2)} min ${a.minPsnr.toFixed(2)} dB`);
    expect(summary.videoFramesDecoded).toBeGreaterThanOrEqual(Math.floor(0.9 * expected.clipFrames));
    expect(a.matched).toBeGreaterThanOrEqual(Math.floor(0.9 * expected.clipFrames));
    expect(a.meanPsnr).toBeGreaterThan(MIN_MEAN_PSNR);
  } else {
    const n = expected.audioFrames;
    const m = matchAudio(readWavMono(outPath), speechSamples(n));
    console.log(`${label}: packets ${summary.packets}, lost ${summary.lost}, decoded ${m.durationS.toFixed(2)} s of ${(n * 0.02).toFixed(2)}, ${m.rmsDbfs.toFixed(1)} dBFS, envelope r=${m.envelopeCorrelation.toFixed(3)} at lag ${(m.lagS * 1000).toFixed(0)} ms`);
    expect(m.durationS).toBeGreaterThanOrEqual(0.9 * n * 0.02);
    expect(m.rmsDbfs).toBeGreaterThan(-40);
    expect(m.envelopeCorrelation).toBeGreaterThan(0.8);
  }
}
