/**
 * `rtcpipe receive`: receives VP8/VP9 and/or Opus as RTP or SDES-keyed SRTP from any sender
 * (GStreamer, ffmpeg, `rtcpipe send`), described by an SDP file or by --port and a codec;
 * reorders, depacketizes and decodes, writes Y4M/WAV, and reports packets, loss, frames,
 * SRTP authentication failures and malformed packets dropped. Stops after --frames, at
 * --timeout, or when every stream said BYE.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { BadFileError, InvalidOptionError, RtcpipeError } from "../errors.js";
import type { AudioFrame } from "../media/audio-frame.js";
import type { VideoFrame } from "../media/video-frame.js";
import { WavWriter } from "../media/wav-writer.js";
import { Y4mWriter } from "../media/y4m-writer.js";
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";
import { RealClock } from "../pipeline/clock.js";
import { parseSdp } from "../sdp/parse-sdp.js";
import { rtpStreamsFromSessionDescription, type RtpStreamDescription } from "../sdp/rtp-stream-description.js";
import { RtpReceiver, type RtpReceiverStats } from "../session/rtp-receiver.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../srtp/srtp-suite.js";
import { ExitCode } from "./exit-codes.js";
import { reportError } from "./report-error.js";
import { parseChoice, parseNumber } from "./option-parsers.js";
import { parseSrtpKeyOption } from "./send-command.js";

interface ReceiveFlags {
  sdp?: string;
  port?: string;
  audioPort?: string;
  video?: string;
  audio?: string;
  pt?: string;
  audioPt?: string;
  srtp?: string;
  key?: string;
  bind: string;
  outVideo?: string;
  outAudio?: string;
  fps: string;
  frames?: string;
  timeout: string;
  idleTimeout?: string;
  summary?: string;
  json?: boolean;
}

/** One stream's part of the summary. */
export type ReceiveStreamSummary = { kind: "video" | "audio"; codec: string; port: number; width?: number; height?: number } & RtpReceiverStats;

/** What `rtcpipe receive` got, written with --summary and printed with --json. */
export interface ReceiveSummary {
  streams: ReceiveStreamSummary[];
  packets: number;
  lost: number;
  framesDecoded: number;
  videoFramesDecoded: number;
  audioFramesDecoded: number;
  srtpAuthFailures: number;
  malformedDropped: number;
  durationS: number;
  stoppedBy: "frames" | "timeout" | "bye" | "idle" | "signal";
}

const SRTP_NAMES = Object.keys(SRTP_SUITES) as SrtpSuiteName[];

function describeStreams(flags: ReceiveFlags): RtpStreamDescription[] {
  if (flags.sdp !== undefined) {
    for (const f of ["port", "video", "audio", "pt", "srtp", "key"] as const) {
      if (flags[f] !== undefined) throw new InvalidOptionError(`Cannot use --${f} with --sdp: the SDP file describes the streams`);
    }
    let text: string;
    try {
      text = readFileSync(flags.sdp, "utf8");
    } catch (e) {
      throw new BadFileError(`Cannot read SDP ${flags.sdp}: ${(e as Error).message}`);
    }
    return rtpStreamsFromSessionDescription(parseSdp(text, { name: flags.sdp }), flags.sdp);
  }
  if (flags.port === undefined) throw new InvalidOptionError("Cannot receive: give --sdp FILE, or --port N with --video vp8|vp9 and/or --audio opus");
  const port = parseNumber("--port", flags.port, 1, 65534, true);
  const video = flags.video === undefined ? "none" : parseChoice("--video", flags.video, ["vp8", "vp9", "none"] as const);
  const audio = flags.audio === undefined ? "none" : parseChoice("--audio", flags.audio, ["opus", "none"] as const);
  if (video === "none" && audio === "none") throw new InvalidOptionError("Cannot receive on --port without a codec: add --video vp8|vp9 or --audio opus");
  const suite = flags.srtp === undefined ? undefined : parseChoice("--srtp", flags.srtp, SRTP_NAMES);
  if (suite === undefined && flags.key !== undefined) throw new InvalidOptionError("Cannot use --key without --srtp SUITE");
  const srtp = suite === undefined ? undefined : parseSrtpKeyOption(suite, flags.key);
  const streams: RtpStreamDescription[] = [];
  const bind = flags.bind;
  if (video !== "none") {
    const pt = flags.pt !== undefined ? parseNumber("--pt", flags.pt, 0, 127, true) : -1;
    streams.push({ codec: video, payloadType: pt, address: bind, port, rtcpPort: port + 1, ...(srtp ? { srtp } : {}) });
  }
  if (audio !== "none") {
    const aport = flags.audioPort !== undefined ? parseNumber("--audio-port", flags.audioPort, 1, 65534, true) : video === "none" ? port : port + 2;
    const pt = flags.audioPt !== undefined ? parseNumber("--audio-pt", flags.audioPt, 0, 127, true) : video === "none" && flags.pt !== undefined ? parseNumber("--pt", flags.pt, 0, 127, true) : -1;
    streams.push({ codec: "opus", payloadType: pt, address: bind, port: aport, rtcpPort: aport + 1, ...(srtp ? { srtp } : {}) });
  }
  return streams;
}

/**
 * Binds a UDP port that takes datagrams from any source (as GStreamer's udpsrc and ffmpeg do;
 * UdpTransport would lock onto the first source, letting one stray datagram hide the real
 * sender). Streams are told apart by SSRC, forgeries by SRTP authentication.
 */
async function listenUdp(bindAddress: string, port: number, onMessage: (data: Uint8Array) => void): Promise<Socket> {
  const family = isIP(bindAddress);
  if (family === 0) throw new InvalidOptionError(`Cannot use --bind ${JSON.stringify(bindAddress)}: allowed is an IPv4 or IPv6 address`);
  const socket = createSocket(family === 6 ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (err) => {
      socket.close();
      reject(new RtcpipeError("ERR_INVALID_OPTION", `Cannot bind UDP ${bindAddress}:${port}: ${err.message}`, { cause: err }));
    });
    socket.bind(port, bindAddress, () => {
      socket.removeAllListeners("error");
      socket.on("error", () => {});
      resolve();
    });
  });
  socket.on("message", (msg: Buffer) => onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
  return socket;
}

/** Runs `rtcpipe receive`; resolves to the summary. `signal` stops it early (SIGINT). */
export async function runReceive(flags: ReceiveFlags, signal?: AbortSignal): Promise<ReceiveSummary> {
  const streams = describeStreams(flags);
  const videoCount = streams.filter((s) => s.codec !== "opus").length;
  const audioCount = streams.length - videoCount;
  if (videoCount > 1 || audioCount > 1) throw new InvalidOptionError("Cannot receive more than one video and one audio stream");
  if (flags.outVideo !== undefined && videoCount === 0) throw new InvalidOptionError("Cannot use --out-video: no video stream is received");
  if (flags.outAudio !== undefined && audioCount === 0) throw new InvalidOptionError("Cannot use --out-audio: no audio stream is received");
  const fps = parseNumber("--fps", flags.fps, 1, 240);
  const frameLimit = flags.frames !== undefined ? parseNumber("--frames", flags.frames, 1, 1e8, true) : undefined;
  const timeoutUs = parseNumber("--timeout", flags.timeout, 0.1, 86_400) * 1e6;
  const idleUs = flags.idleTimeout !== undefined ? parseNumber("--idle-timeout", flags.idleTimeout, 0.1, 86_400) * 1e6 : Infinity;
  const bind = flags.bind;
  const clock = new RealClock();
  const closers: (() => void)[] = [];
  let y4m: Y4mWriter | undefined;
  let wav: WavWriter | undefined;
  const entries: { desc: RtpStreamDescription; receiver: RtpReceiver; width?: number; height?: number }[] = [];
  let lastPacketUs = NaN;
  let wakeUp: () => void = () => {};
  try {
    for (const desc of streams) {
      const entry: (typeof entries)[number] = { desc, receiver: undefined as unknown as RtpReceiver };
      const onVideoFrame = (f: VideoFrame): void => {
        entry.width = f.width;
        entry.height = f.height;
        if (flags.outVideo === undefined) return;
        y4m ??= new Y4mWriter(flags.outVideo, { width: f.width, height: f.height, fpsNum: Math.round(fps * 1000), fpsDen: 1000 });
        if (f.width === y4m.width && f.height === y4m.height) y4m.write(f);
      };
      const onAudioFrame = (f: AudioFrame): void => {
        if (flags.outAudio === undefined) return;
        wav ??= new WavWriter(flags.outAudio, { channels: f.channels });
        wav.write(f);
      };
      const receiver = await RtpReceiver.create({
        codec: desc.codec,
        ...(desc.payloadType >= 0 ? { payloadType: desc.payloadType } : {}),
        ...(desc.ssrc !== undefined ? { ssrc: desc.ssrc } : {}),
        ...(desc.srtp ? { srtp: desc.srtp } : {}),
        onVideoFrame,
        onAudioFrame,
      });
      entry.receiver = receiver;
      closers.push(() => receiver.close());
      const rtp = await listenUdp(bind, desc.port, (data) => {
        const nowUs = clock.nowUs();
        lastPacketUs = nowUs;
        receiver.receiveRtp(data, nowUs);
        wakeUp();
      });
      closers.push(() => rtp.close());
      const rtcpPort = desc.rtcpPort ?? desc.port + 1;
      if (rtcpPort !== desc.port) {
        const rtcp = await listenUdp(bind, rtcpPort, (data) => {
          receiver.receiveRtcp(data, clock.nowUs());
          wakeUp();
        });
        closers.push(() => rtcp.close());
      }
      entries.push(entry);
    }
    const startUs = clock.nowUs();
    let stoppedBy: ReceiveSummary["stoppedBy"] = "timeout";
    let byeAtUs = NaN;
    const frameCounter = (): number => {
      const video = entries.find((e) => e.desc.codec !== "opus");
      return (video ?? entries[0]!).receiver.framesDecoded;
    };
    for (;;) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5);
        wakeUp = () => {
          clearTimeout(t);
          wakeUp = () => {};
          setImmediate(resolve);
        };
      });
      const now = clock.nowUs();
      for (const e of entries) e.receiver.tick(now);
      if (frameLimit !== undefined && frameCounter() >= frameLimit) {
        stoppedBy = "frames";
        break;
      }
      if (entries.every((e) => e.receiver.byeReceived)) {
        // RTCP travels on its own socket, so the BYE can overtake the last RTP packets (an
        // encoder flushing its lag at the end): drain until RTP is quiet for 100 ms (≤ 0.5 s).
        if (Number.isNaN(byeAtUs)) byeAtUs = now;
        if (now - byeAtUs >= 500_000 || Number.isNaN(lastPacketUs) || now - lastPacketUs >= 100_000) {
          stoppedBy = "bye";
          break;
        }
      }
      if (signal?.aborted) {
        stoppedBy = "signal";
        break;
      }
      if (now - startUs >= timeoutUs) break;
      if (!Number.isNaN(lastPacketUs) && now - lastPacketUs >= idleUs) {
        stoppedBy = "idle";
        break;
      }
    }
    const endUs = clock.nowUs();
    for (const e of entries) e.receiver.flush(endUs);
    const summary: ReceiveSummary = {
      streams: entries.map((e) => {
        const s: ReceiveStreamSummary = { kind: e.desc.codec === "opus" ? "audio" : "video", codec: e.desc.codec, port: e.desc.port, ...e.receiver.stats() };
        if (e.width !== undefined) {
          s.width = e.width;
          s.height = e.height!;
        }
        return s;
      }),
      packets: 0,
      lost: 0,
      framesDecoded: 0,
      videoFramesDecoded: 0,
      audioFramesDecoded: 0,
      srtpAuthFailures: 0,
      malformedDropped: 0,
      durationS: Math.round((endUs - startUs) / 1000) / 1000,
      stoppedBy,
    };
    for (const s of summary.streams) {
      summary.packets += s.packets;
      summary.lost += s.lost;
      summary.framesDecoded += s.framesDecoded;
      if (s.kind === "video") summary.videoFramesDecoded += s.framesDecoded;
      else summary.audioFramesDecoded += s.framesDecoded;
      summary.srtpAuthFailures += s.srtpAuthFailures;
      summary.malformedDropped += s.malformedDropped;
    }
    return summary;
  } finally {
    for (const c of closers.reverse()) c();
    (y4m as Y4mWriter | undefined)?.close();
    (wav as WavWriter | undefined)?.close();
  }
}

/** One line for humans. */
export function formatReceiveSummary(s: ReceiveSummary): string {
  const parts = s.streams.map(
    (x) => `${x.kind} ${x.codec}${x.width ? ` ${x.width}x${x.height}` : ""} :${x.port}: ${x.packets} packets, ${x.lost} lost, ${x.framesDecoded} frames decoded`,
  );
  return `rtcpipe receive (${s.durationS} s, stopped by ${s.stoppedBy}): ${parts.join("; ")}; ${s.srtpAuthFailures} SRTP auth failures, ${s.malformedDropped} malformed dropped`;
}

/** `rtcpipe receive`. */
export function receiveCommand(setCode: (code: number) => void): Command {
  return new Command("receive")
    .description("Receive VP8/VP9/Opus over RTP or SRTP (from an SDP file, or --port with a codec), decode, and write Y4M/WAV and a summary")
    .option("--sdp <file>", "SDP describing the streams (m= ports, rtpmap, a=crypto)")
    .option("--port <n>", "RTP port (RTCP on port+1) when there is no SDP")
    .option("--audio-port <n>", "audio RTP port with --port (default port+2, or --port when only audio)")
    .addOption(new Option("--video <codec>", "video codec with --port").choices(["vp8", "vp9", "none"]))
    .addOption(new Option("--audio <codec>", "audio codec with --port").choices(["opus", "none"]))
    .option("--pt <n>", "only this video payload type (default any)")
    .option("--audio-pt <n>", "only this audio payload type (default any)")
    .addOption(new Option("--srtp <suite>", "receive SRTP with this SDES suite").choices(SRTP_NAMES))
    .option("--key <base64>", "SRTP master key || salt in base64 (the sender's)")
    .option("--bind <address>", "local address to listen on", "127.0.0.1")
    .option("--out-video <file.y4m>", "write decoded video")
    .option("--out-audio <file.wav>", "write decoded audio")
    .option("--fps <n>", "frame rate written in the Y4M header", "30")
    .option("--frames <n>", "stop after N decoded video frames (audio-only: 20 ms audio frames)")
    .option("--timeout <s>", "stop after this many seconds", "30")
    .option("--idle-timeout <s>", "stop when nothing arrived for this long (after the first packet)")
    .option("--summary <file.json>", "write the JSON summary to a file")
    .option("--json", "print the summary as JSON")
    .action(async (flags: ReceiveFlags) => {
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.once("SIGINT", onSigint);
      process.once("SIGTERM", onSigint);
      try {
        const summary = await runReceive(flags, abort.signal);
        if (flags.summary !== undefined) {
          try {
            writeFileSync(flags.summary, `${JSON.stringify(summary, null, 2)}\n`);
          } catch (e) {
            throw new BadFileError(`Cannot write summary ${flags.summary}: ${(e as Error).message}`);
          }
        }
        process.stdout.write(flags.json ? `${JSON.stringify(summary)}\n` : `${formatReceiveSummary(summary)}\n`);
        setCode(summary.packets > 0 ? ExitCode.OK : ExitCode.FAILED);
        if (summary.packets === 0) process.stderr.write("rtcpipe: Cannot receive: no RTP packet arrived\n");
      } catch (err) {
        setCode(reportError(err));
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}
