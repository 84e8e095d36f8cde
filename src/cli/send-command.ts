/**
 * `rtcpipe send`: streams VP8/VP9 video and/or Opus audio as RTP (or SDES-keyed SRTP) to a
 * receiver such as GStreamer, ffmpeg or `rtcpipe receive`, paced in real time, with RTCP SR +
 * SDES CNAME on the next port and BYE at the end, and writes the SDP a receiver needs.
 */
import { lookup } from "node:dns/promises";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { isIP } from "node:net";
import { Command, Option } from "commander";
import type { EncodedFrame } from "../codec/encoded-frame.js";
import { OpusFramePacker } from "../codec/opus-frame-packer.js";
import { OpusEncoder } from "../codec/opus-encoder.js";
import { VpxEncoder } from "../codec/vpx-encoder.js";
import { BadFileError, InvalidOptionError } from "../errors.js";
import type { AudioFrame } from "../media/audio-frame.js";
import { SpeechLikeSource } from "../media/speech-like-source.js";
import { TestPatternSource } from "../media/test-pattern-source.js";
import type { VideoFrame } from "../media/video-frame.js";
import { WavReader } from "../media/wav-reader.js";
import { Y4mReader } from "../media/y4m-reader.js";
import { UdpTransport } from "../net/udp-transport.js";
import { RealClock } from "../pipeline/clock.js";
import { formatSdp } from "../sdp/format-sdp.js";
import { sessionDescriptionFromStreams, type RtpStreamDescription, type RtpStreamSrtp } from "../sdp/rtp-stream-description.js";
import { RtpSender } from "../session/rtp-sender.js";
import { parseSdesInlineKey } from "../srtp/sdes-inline-key.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../srtp/srtp-suite.js";
import { ExitCode } from "./exit-codes.js";
import { reportError } from "./report-error.js";
import { parseBitrate, parseChoice, parseHostPort, parseNumber, parseSize } from "./option-parsers.js";

interface SendFlags {
  to: string;
  audioTo?: string;
  video: string;
  audio: string;
  input?: string;
  audioInput?: string;
  size: string;
  fps?: string;
  bitrate: string;
  audioBitrate: string;
  keyframeInterval?: string;
  duration?: string;
  frames?: string;
  srtp?: string;
  key?: string;
  sdp?: string;
  sdpOnly?: boolean;
  ssrc?: string;
  audioSsrc?: string;
  pt: string;
  audioPt: string;
  cname?: string;
  bind?: string;
  mtu: string;
  vp9Mode: string;
  temporalLayers: string;
  audioPtime: string;
  json?: boolean;
}

/** What `rtcpipe send` did, printed as JSON with --json. */
export interface SendSummary {
  to: string;
  srtp: string;
  durationS: number;
  video?: { codec: string; width: number; height: number; fps: number; ssrc: number; payloadType: number; framesEncoded: number; keyframes: number } & Record<string, number | string>;
  audio?: { codec: string; ssrc: number; payloadType: number; framesEncoded: number } & Record<string, number | string>;
}

const SRTP_NAMES = Object.keys(SRTP_SUITES) as SrtpSuiteName[];

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Parses `--key` (base64 of master key || salt) for `suite`. */
export function parseSrtpKeyOption(suite: SrtpSuiteName, key: string | undefined): RtpStreamSrtp {
  if (key === undefined) throw new InvalidOptionError(`Cannot use --srtp ${suite} without --key BASE64 (base64 of master key || salt, ${SRTP_SUITES[suite].keyLength + SRTP_SUITES[suite].saltLength} bytes)`);
  try {
    const k = parseSdesInlineKey(key, suite);
    return { suite, masterKey: k.masterKey, masterSalt: k.masterSalt };
  } catch (e) {
    if (e instanceof BadFileError) throw new InvalidOptionError(`Cannot use --key: ${e.message.replace(/^Cannot parse SDES key params: /, "")}`);
    throw e;
  }
}

/** Resolves a host name to an address (IPv4 preferred). */
export async function resolveHost(option: string, host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    throw new InvalidOptionError(`Cannot use ${option} ${JSON.stringify(host)}: the host name does not resolve`);
  }
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1";
}

function sleepUntil(clock: RealClock, atUs: number): Promise<void> {
  return new Promise((resolve) => clock.at(atUs, () => resolve()));
}

/** Runs `rtcpipe send` with parsed flags; resolves to the summary. */
export async function runSend(flags: SendFlags): Promise<SendSummary> {
  const video = parseChoice("--video", flags.video, ["vp8", "vp9", "none"] as const);
  const audio = parseChoice("--audio", flags.audio, ["opus", "none"] as const);
  if (video === "none" && audio === "none") throw new InvalidOptionError("Cannot send: --video none and --audio none leave nothing to send");
  const to = parseHostPort("--to", flags.to);
  const toAddress = await resolveHost("--to", to.host);
  let audioTo = { address: toAddress, port: to.port + 2 };
  if (flags.audioTo !== undefined) {
    const a = parseHostPort("--audio-to", flags.audioTo);
    audioTo = { address: await resolveHost("--audio-to", a.host), port: a.port };
  } else if (video === "none") {
    audioTo = { address: toAddress, port: to.port };
  }
  if (audioTo.port + 1 > 65535 || to.port + 1 > 65535) throw new InvalidOptionError("Cannot use a port of 65535: RTCP goes to the next port");
  const suite = flags.srtp === undefined ? undefined : parseChoice("--srtp", flags.srtp, SRTP_NAMES);
  if (suite === undefined && flags.key !== undefined) throw new InvalidOptionError("Cannot use --key without --srtp SUITE");
  const srtp = suite === undefined ? undefined : parseSrtpKeyOption(suite, flags.key);
  const payloadType = parseNumber("--pt", flags.pt, 0, 127, true);
  const audioPayloadType = parseNumber("--audio-pt", flags.audioPt, 0, 127, true);
  const videoSsrc = flags.ssrc !== undefined ? parseNumber("--ssrc", flags.ssrc, 0, 0xffffffff, true) : randomU32();
  const audioSsrc = flags.audioSsrc !== undefined ? parseNumber("--audio-ssrc", flags.audioSsrc, 0, 0xffffffff, true) : (videoSsrc + 1) >>> 0;
  if (video !== "none" && audio !== "none" && videoSsrc === audioSsrc) throw new InvalidOptionError("Cannot use the same SSRC for video and audio");
  const cname = flags.cname ?? `rtcpipe@${hostname()}`;
  const mtu = parseNumber("--mtu", flags.mtu, 200, 9000, true);
  const vp9Mode = parseChoice("--vp9-mode", flags.vp9Mode, ["simple", "flexible"] as const);
  const audioFramesPerPacket = parseChoice("--audio-ptime", flags.audioPtime, ["20", "60"] as const) === "60" ? 3 : 1;
  const temporalLayers = parseChoice("--temporal-layers", flags.temporalLayers, ["1", "2"] as const) === "2" ? 2 : 1;
  const bitrate = parseBitrate("--bitrate", flags.bitrate, 10_000, 50e6);
  const audioBitrate = parseBitrate("--audio-bitrate", flags.audioBitrate, 6_000, 510_000);
  if (flags.duration !== undefined && flags.frames !== undefined) throw new InvalidOptionError("Cannot use both --duration and --frames: give one");
  const durationS = flags.duration !== undefined ? parseNumber("--duration", flags.duration, 0.02, 86_400) : undefined;
  const frameLimit = flags.frames !== undefined ? parseNumber("--frames", flags.frames, 1, 1e8, true) : undefined;
  const bindAddress = flags.bind ?? (isLoopback(toAddress) && isLoopback(audioTo.address) ? "127.0.0.1" : "0.0.0.0");

  // Sources (opened before anything is sent, so a bad file fails early).
  let videoSource: { frameAt(i: number): VideoFrame | undefined; width: number; height: number; fps: number; count: number } | undefined;
  let audioSource: { frameAt(i: number): AudioFrame | undefined; count: number; channels: 1 | 2 } | undefined;
  const closers: (() => void)[] = [];
  try {
    if (video !== "none") {
      if (flags.input !== undefined) {
        const r = new Y4mReader(flags.input);
        closers.push(() => r.close());
        if (r.width % 2 || r.height % 2) throw new BadFileError(`Cannot send ${flags.input}: ${r.width}x${r.height} is not an even size`);
        const fps = flags.fps !== undefined ? parseNumber("--fps", flags.fps, 1, 120) : r.fps;
        videoSource = { frameAt: (i) => r.frameAt(i), width: r.width, height: r.height, fps, count: r.frameCount };
      } else {
        const [w, h] = parseSize("--size", flags.size);
        const fps = parseNumber("--fps", flags.fps ?? "30", 1, 120);
        const p = new TestPatternSource({ width: w, height: h, fps });
        videoSource = { frameAt: (i) => p.frameAt(i), width: w, height: h, fps, count: Infinity };
      }
    } else if (flags.input !== undefined) {
      throw new InvalidOptionError("Cannot use --input with --video none");
    }
    if (audio !== "none") {
      if (flags.audioInput !== undefined) {
        const r = new WavReader(flags.audioInput, { channels: 1 });
        closers.push(() => r.close());
        audioSource = { frameAt: (i) => r.frameAt(i), count: r.frameCount, channels: 1 };
      } else {
        const s = new SpeechLikeSource({ channels: 1 });
        audioSource = { frameAt: (i) => s.frameAt(i), count: Infinity, channels: 1 };
      }
    } else if (flags.audioInput !== undefined) {
      throw new InvalidOptionError("Cannot use --audio-input with --audio none");
    }

    // How many frames of each kind.
    const defaultS = videoSource?.count === Infinity || (videoSource === undefined && audioSource?.count === Infinity) ? 10 : undefined;
    let videoFrames = 0;
    let audioFrames = 0;
    if (videoSource) {
      videoFrames = frameLimit ?? (durationS !== undefined ? Math.round(durationS * videoSource.fps) : defaultS !== undefined ? Math.round(defaultS * videoSource.fps) : videoSource.count);
      videoFrames = Math.min(videoFrames, videoSource.count);
    }
    if (audioSource) {
      const seconds = videoSource ? videoFrames / videoSource.fps : frameLimit !== undefined ? frameLimit / 50 : durationS ?? defaultS;
      audioFrames = Math.min(seconds === undefined ? audioSource.count : Math.round(seconds * 50), audioSource.count);
    }

    const streams: RtpStreamDescription[] = [];
    // a=ssrc only for SSRCs the user chose: a random one would differ between an --sdp-only run
    // and the run that sends, and a receiver filtering on it would drop everything.
    const pinned = flags.ssrc !== undefined || flags.audioSsrc !== undefined;
    if (videoSource) streams.push({ codec: video as "vp8" | "vp9", payloadType, address: toAddress, port: to.port, ...(pinned ? { ssrc: videoSsrc, cname } : {}), ...(srtp ? { srtp } : {}) });
    if (audioSource) streams.push({ codec: "opus", payloadType: audioPayloadType, address: audioTo.address, port: audioTo.port, ...(pinned ? { ssrc: audioSsrc, cname } : {}), ...(srtp ? { srtp } : {}) });
    if (flags.sdp !== undefined) {
      const text = formatSdp(sessionDescriptionFromStreams(streams, { sessionId: String(Math.floor(Date.now() / 1000)) }));
      try {
        writeFileSync(flags.sdp, text);
      } catch (e) {
        throw new BadFileError(`Cannot write SDP ${flags.sdp}: ${(e as Error).message}`);
      }
    }
    const summary: SendSummary = { to: `${toAddress}:${to.port}`, srtp: suite ?? "none", durationS: 0 };
    if (flags.sdpOnly) return summary;

    const clock = new RealClock();
    const wallOriginUs = Date.now() * 1000 - clock.nowUs();
    const wallUs = (nowUs: number): number => wallOriginUs + nowUs;

    // Video pipeline.
    let vEnc: VpxEncoder | undefined;
    let vSender: RtpSender | undefined;
    if (videoSource) {
      const keyInt = flags.keyframeInterval !== undefined ? parseNumber("--keyframe-interval", flags.keyframeInterval, 0, 100_000, true) : Math.round(videoSource.fps);
      vEnc = await VpxEncoder.create({ codec: video as "vp8" | "vp9", width: videoSource.width, height: videoSource.height, fps: videoSource.fps, bitrateBps: bitrate, keyframeIntervalFrames: keyInt, dropFrameThreshold: 0, temporalLayers });
      const enc = vEnc;
      closers.push(() => enc.close());
      const rtp = await UdpTransport.open({ bindAddress, remote: { address: toAddress, port: to.port }, clock });
      const rtcp = await UdpTransport.open({ bindAddress, remote: { address: toAddress, port: to.port + 1 }, clock });
      closers.push(() => rtp.close(), () => rtcp.close());
      const sender = new RtpSender({ codec: video as "vp8" | "vp9", payloadType, ssrc: videoSsrc, cname, rtp, rtcp, mtuBytes: mtu, vp9Mode, initialSequenceNumber: randomU32() & 0xffff, timestampOffset: randomU32(), ...(srtp ? { srtp } : {}) });
      vSender = sender;
      enc.pipe({ push: (f: EncodedFrame, nowUs: number) => sender.sendFrame(f, nowUs) });
    }
    let aEnc: OpusEncoder | undefined;
    let aSender: RtpSender | undefined;
    if (audioSource) {
      aEnc = await OpusEncoder.create({ channels: audioSource.channels, bitrateBps: audioBitrate });
      const enc = aEnc;
      closers.push(() => enc.close());
      const rtp = await UdpTransport.open({ bindAddress, remote: { address: audioTo.address, port: audioTo.port }, clock });
      const rtcp = await UdpTransport.open({ bindAddress, remote: { address: audioTo.address, port: audioTo.port + 1 }, clock });
      closers.push(() => rtp.close(), () => rtcp.close());
      const sender = new RtpSender({ codec: "opus", payloadType: audioPayloadType, ssrc: audioSsrc, cname, rtp, rtcp, mtuBytes: mtu, initialSequenceNumber: randomU32() & 0xffff, timestampOffset: randomU32(), ...(srtp ? { srtp } : {}) });
      aSender = sender;
      // 20 or 60 ms of Opus per packet (RFC 6716 3.2.5 code 3 packets for 60).
      const packer = new OpusFramePacker();
      packer.setFramesPerPacket(audioFramesPerPacket);
      enc.pipe(packer);
      packer.pipe({ push: (f: EncodedFrame, nowUs: number) => sender.sendFrame(f, nowUs) });
    }

    // Real-time pacing: frame i of each kind at start + i · duration.
    const startUs = clock.nowUs() + 20_000;
    const videoFrameUs = videoSource ? 1e6 / videoSource.fps : Infinity;
    let vi = 0;
    let ai = 0;
    for (;;) {
      const nextV = vi < videoFrames ? startUs + vi * videoFrameUs : Infinity;
      const nextA = ai < audioFrames ? startUs + ai * 20_000 : Infinity;
      const next = Math.min(nextV, nextA);
      if (next === Infinity) break;
      if (clock.nowUs() < next) await sleepUntil(clock, next);
      const now = clock.nowUs();
      if (next === nextV) {
        const f = videoSource!.frameAt(vi);
        if (f === undefined) {
          videoFrames = vi;
        } else {
          f.captureTimeUs = Math.round(nextV);
          f.frameIndex = vi;
          vEnc!.push(f, now);
          vSender!.tick(now, wallUs(now));
          vi++;
        }
      } else {
        const f = audioSource!.frameAt(ai);
        if (f === undefined) {
          audioFrames = ai;
        } else {
          f.captureTimeUs = Math.round(nextA);
          f.frameIndex = ai;
          aEnc!.push(f, now);
          aSender!.tick(now, wallUs(now));
          ai++;
        }
      }
    }
    const endUs = clock.nowUs();
    vSender?.end(endUs, wallUs(endUs), "end of stream");
    aSender?.end(endUs, wallUs(endUs), "end of stream");
    await new Promise((r) => setTimeout(r, 30)); // let the sockets flush
    summary.durationS = Math.round((endUs - startUs) / 1000) / 1000;
    if (vEnc && vSender && videoSource) {
      const e = vEnc.stats();
      summary.video = { codec: video, width: videoSource.width, height: videoSource.height, fps: videoSource.fps, ssrc: videoSsrc, payloadType, framesEncoded: e["framesEncoded"] ?? 0, keyframes: e["keyframes"] ?? 0, framesIn: e["framesIn"] ?? 0, ...vSender.stats() };
    }
    if (aEnc && aSender) {
      const e = aEnc.stats();
      summary.audio = { codec: "opus", ssrc: audioSsrc, payloadType: audioPayloadType, framesEncoded: e["framesEncoded"] ?? 0, ...aSender.stats() };
    }
    return summary;
  } finally {
    for (const c of closers.reverse()) c();
  }
}

function kbps(bytes: number, s: number): string {
  return s > 0 ? `${Math.round((bytes * 8) / s / 1000)} kbps` : "-";
}

/** One line for humans. */
export function formatSendSummary(s: SendSummary): string {
  const parts: string[] = [];
  if (s.video) parts.push(`video ${s.video.codec} ${s.video.width}x${s.video.height}@${s.video.fps}: ${s.video.framesEncoded} frames (${s.video.keyframes} key), ${s.video["packetsSent"]} packets, ${kbps(Number(s.video["bytesSent"]), s.durationS)}`);
  if (s.audio) parts.push(`audio opus: ${s.audio.framesEncoded} frames, ${s.audio["packetsSent"]} packets, ${kbps(Number(s.audio["bytesSent"]), s.durationS)}`);
  return `rtcpipe send to ${s.to} (${s.srtp === "none" ? "RTP" : `SRTP ${s.srtp}`}, ${s.durationS} s): ${parts.join("; ") || "SDP written"}`;
}

/** `rtcpipe send`. */
export function sendCommand(setCode: (code: number) => void): Command {
  return new Command("send")
    .description("Send VP8/VP9 video and/or Opus audio as RTP or SRTP to HOST:PORT in real time (RTCP on PORT+1, audio on PORT+2)")
    .requiredOption("--to <host:port>", "where video RTP goes (RTCP to port+1)")
    .option("--audio-to <host:port>", "where audio RTP goes (default: the --to host, port+2; the --to port with --video none)")
    .addOption(new Option("--video <codec>", "video codec").choices(["vp8", "vp9", "none"]).default("vp8"))
    .addOption(new Option("--audio <codec>", "audio codec").choices(["opus", "none"]).default("none"))
    .option("--input <file.y4m>", "video from a Y4M file (default: a moving test pattern)")
    .option("--audio-input <file.wav>", "audio from a 48 kHz WAV file (default: a speech-like test signal)")
    .option("--size <WxH>", "test pattern size", "640x480")
    .option("--fps <n>", "frames per second (default 30, or the Y4M file's)")
    .option("--bitrate <bps>", "video bitrate, e.g. 800k", "800k")
    .option("--audio-bitrate <bps>", "Opus bitrate", "32k")
    .option("--keyframe-interval <frames>", "a keyframe every N frames (default: one per second)")
    .option("--duration <s>", "seconds to send (default 10, or the whole input file)")
    .option("--frames <n>", "video frames to send (audio-only: 20 ms audio frames)")
    .addOption(new Option("--srtp <suite>", "send SRTP with this SDES suite").choices(SRTP_NAMES))
    .option("--key <base64>", "SRTP master key || salt in base64 (as in a=crypto inline:)")
    .option("--sdp <file>", "write the SDP a receiver (ffmpeg, rtcpipe receive) uses")
    .option("--sdp-only", "write the --sdp file and exit without sending")
    .option("--ssrc <n>", "video SSRC (default random)")
    .option("--audio-ssrc <n>", "audio SSRC (default video SSRC + 1)")
    .option("--pt <n>", "video payload type", "96")
    .option("--audio-pt <n>", "audio payload type", "111")
    .option("--cname <text>", "RTCP CNAME (default rtcpipe@HOSTNAME)")
    .option("--bind <address>", "local address to send from (default 127.0.0.1 for loopback peers, else 0.0.0.0)")
    .option("--mtu <bytes>", "largest RTP packet", "1200")
    .addOption(new Option("--vp9-mode <mode>", "VP9 descriptor: simple (non-flexible, no layer indices; ffmpeg 5.1 reads only this) or flexible (P_DIFF)").choices(["simple", "flexible"]).default("simple"))
    .addOption(new Option("--audio-ptime <ms>", "Opus per RTP packet: 20, or 60 (three frames per packet, RFC 6716 3.2.5)").choices(["20", "60"]).default("20"))
    .addOption(new Option("--temporal-layers <n>", "video temporal layers: 2 = every other frame one nothing references (RFC 7741 4.2 TID/TL0PICIDX, N and Y bits)").choices(["1", "2"]).default("1"))
    .option("--json", "print the summary as JSON")
    .action(async (flags: SendFlags) => {
      try {
        if (flags.sdpOnly && flags.sdp === undefined) throw new InvalidOptionError("Cannot use --sdp-only without --sdp FILE");
        const summary = await runSend(flags);
        process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatSendSummary(summary)}\n`);
        setCode(ExitCode.OK);
      } catch (err) {
        setCode(reportError(err));
      }
    });
}
