import { mkdirSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { Command, Option } from "commander";
import { InvalidOptionError } from "../errors.js";
import type { CallReport } from "../metrics/call-report.js";
import { renderReportHtml } from "../metrics/report-html.js";
import { runCall } from "../session/call.js";
import type { CallOptions } from "../session/call-options.js";
import { ExitCode } from "./exit-codes.js";
import { reportError } from "./report-error.js";
import { parseBitrate, parseChoice, parseNumber, parseSize } from "./option-parsers.js";
import { defaultIdentityPath } from "../e2ee/identity-file.js";
import type { IceTurnServer } from "../ice/ice-agent.js";
import { runRemoteCall, type RemoteCallReport } from "../session/remote-call.js";
import { defaultKnownPeersPath } from "./identity-command.js";

interface CallFlags {
  duration: string;
  video: string;
  audio: string;
  size: string;
  fps: string;
  bitrate: string;
  audioBitrate: string;
  keyframeInterval?: string;
  loss: string;
  burst?: string;
  delay: string;
  jitter: string;
  rate?: string;
  reorder: string;
  duplicate: string;
  lossTrace?: string;
  rateTrace?: string;
  rateDirection?: string;
  seed: string;
  input?: string;
  audioInput?: string;
  realtime?: boolean;
  nack: boolean;
  fec: boolean;
  temporalLayers?: string;
  audioPtime?: string;
  abr: boolean;
  startBitrate: string;
  minBitrate: string;
  maxBitrate: string;
  transport: string;
  srtp: string;
  mtu: string;
  out?: string;
  json?: boolean;
  progress: boolean;
  name?: string;
  peer?: string;
  signal?: string;
  turn: string[];
  turnUser?: string;
  turnPass?: string;
  forceRelay?: boolean;
  identity?: string;
  knownPeers?: string;
  acceptNewIdentity?: boolean;
  connectTimeout: string;
  bind: string[];
  rekeyInterval?: string;
}

/** `turn:HOST:PORT` (RFC 7065, UDP; the port defaults to 3478) as an ICE TURN server. */
export function parseTurnUrl(url: string, username: string | undefined, password: string | undefined): IceTurnServer {
  const m = /^turn:(\[[0-9a-fA-F:]+\]|[0-9.]+)(?::(\d{1,5}))?(?:\?transport=udp)?$/.exec(url);
  if (!m) throw new InvalidOptionError(`Cannot use --turn ${JSON.stringify(url)}: allowed is turn:IP[:PORT] with a numeric IPv4 or [IPv6] address (UDP)`);
  const port = m[2] === undefined ? 3478 : Number(m[2]);
  if (port < 1 || port > 65535) throw new InvalidOptionError(`Cannot use --turn ${url}: the port must be 1-65535`);
  if (!username || password === undefined) throw new InvalidOptionError("Cannot use --turn without --turn-user and --turn-pass (TURN long-term credentials, RFC 8656)");
  return { address: m[1]!.replace(/^\[|\]$/g, ""), port, username, password };
}

/** The summary of a call between processes, as (label, text) rows. */
export function remoteSummaryRows(r: RemoteCallReport): [string, string][] {
  const sel = r.ice.selected;
  const rows: [string, string][] = [
    ["Call", `${r.name} ${r.role === "caller" ? "called" : "answered"} ${r.peer} (call ${r.callId}), ${r.durationS} s`],
    ["ICE", `${sel ? `${sel.localType} ${sel.local} -> ${sel.remoteType} ${sel.remote}${sel.relayed ? " (relayed)" : " (direct)"}` : "no pair"}, ${r.ice.restarts} restarts, longest media gap ${r.ice.longestMediaGapMs} ms; offer to connected ${r.setupMs.offerToConnected} ms, to first frame ${r.setupMs.offerToFirstFrame} ms`],
    ["Keys", `${r.e2ee.suite} agreed end to end (epoch ${r.e2ee.epoch}), peer identity ${r.e2ee.pin}; safety number ${r.e2ee.safetyNumber}`],
  ];
  if (r.video) rows.push(["Video received", `${r.video.framesDecoded} frames (${f1(r.video.fps)} fps), latency p50/p95 ${f1(r.video.latencyMs.p50)}/${f1(r.video.latencyMs.p95)} ms, PSNR ${f1(r.video.psnrDbMean, 2)} dB, freezes ${r.video.freezes} (${f1(r.video.freezeMs, 0)} ms)`]);
  if (r.audio) rows.push(["Audio received", `${r.audio.framesPlayed} frames, ${f1(r.audio.concealedPct, 2)}% concealed, latency p50/p95 ${f1(r.audio.latencyMs.p50)}/${f1(r.audio.latencyMs.p95)} ms`]);
  rows.push(["RTT / SRTP", `RTT ${f1(r.rtcp.rttMs)} ms; SRTP: ${r.srtp.authFailures} auth failures, ${r.srtp.replayed} replayed${r.bandwidth ? `; estimate ${f1(r.bandwidth.estimateKbps, 0)} kbps` : ""}`]);
  return rows;
}

/** The one-screen summary of a call between processes. */
export function remoteSummaryText(r: RemoteCallReport): string {
  const [first, ...rest] = remoteSummaryRows(r);
  return [`rtcpipe call: ${first![1]}`, ...rest.map(([k, v]) => `  ${k}: ${v}`)].join("\n");
}

async function runRemoteFromFlags(flags: CallFlags): Promise<RemoteCallReport> {
  if (!flags.name || !flags.peer || !flags.signal) throw new InvalidOptionError("Cannot make a call between processes: --name, --peer and --signal go together (e.g. --name alice --peer bob --signal ws://127.0.0.1:8080)");
  if (!/^wss?:\/\//.test(flags.signal)) throw new InvalidOptionError(`Cannot use --signal ${JSON.stringify(flags.signal)}: allowed is a ws:// or wss:// URL`);
  const impairments: [string, string | undefined][] = [["--loss", flags.loss === "0" ? undefined : flags.loss], ["--delay", flags.delay === "0" ? undefined : flags.delay], ["--jitter", flags.jitter === "0" ? undefined : flags.jitter], ["--rate", flags.rate], ["--loss-trace", flags.lossTrace], ["--rate-trace", flags.rateTrace], ["--burst", flags.burst]];
  const used = impairments.filter(([, v]) => v !== undefined).map(([k]) => k);
  if (used.length > 0) throw new InvalidOptionError(`Cannot impair a real path: ${used.join(", ")} apply only to the emulated network (without --signal)`);
  const media = callOptionsFromFlags(flags);
  const turnServers = flags.turn.map((u) => parseTurnUrl(u, flags.turnUser, flags.turnPass));
  if (flags.forceRelay && turnServers.length === 0) throw new InvalidOptionError("Cannot use --force-relay without --turn: a relayed path needs a TURN server");
  return runRemoteCall({
    name: flags.name, peer: flags.peer, signalUrl: flags.signal, turnServers, forceRelay: flags.forceRelay ?? false,
    identityPath: flags.identity ?? defaultIdentityPath(), knownPeersPath: flags.knownPeers ?? defaultKnownPeersPath(),
    acceptNewIdentity: flags.acceptNewIdentity ?? false,
    connectTimeoutMs: parseNumber("--connect-timeout", flags.connectTimeout, 1, 3600) * 1000,
    bindAddresses: flags.bind.length > 0 ? flags.bind.map((a) => {
      if (isIP(a) === 0) throw new InvalidOptionError(`Cannot use --bind ${JSON.stringify(a)}: allowed is a numeric IPv4 or IPv6 address`);
      return a;
    }) : undefined,
    rekeyIntervalS: parseRekeyInterval(flags.rekeyInterval ?? "300"),
    media,
    onLog: flags.progress ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
}

/** `--rekey-interval S`: 0 (never) or 1..86400 seconds. */
function parseRekeyInterval(value: string): number {
  const s = parseNumber("--rekey-interval", value, 0, 86_400);
  if (s > 0 && s < 1) throw new InvalidOptionError(`Cannot use --rekey-interval ${value}: allowed is 0 (never rekey) or 1 to 86400 seconds`);
  return s;
}

/** `--temporal-layers auto|1|2`. */
function parseTemporalLayers(value: string): 1 | 2 | "auto" {
  const v = parseChoice("--temporal-layers", value, ["auto", "1", "2"] as const);
  return v === "auto" ? "auto" : v === "2" ? 2 : 1;
}

/** Turns command-line flags into CallOptions; every bad value throws InvalidOptionError. */
export function callOptionsFromFlags(f: CallFlags): CallOptions {
  const [width, height] = parseSize("--size", f.size);
  const o: CallOptions = {
    durationS: parseNumber("--duration", f.duration, 0.5, 86_400),
    video: parseChoice("--video", f.video, ["vp8", "vp9", "none"] as const),
    audio: parseChoice("--audio", f.audio, ["opus", "none"] as const),
    width,
    height,
    fps: parseNumber("--fps", f.fps, 1, 120),
    videoBitrateBps: parseBitrate("--bitrate", f.bitrate, 10_000, 50_000_000),
    audioBitrateBps: parseBitrate("--audio-bitrate", f.audioBitrate, 6_000, 510_000),
    keyframeIntervalFrames: f.keyframeInterval === undefined ? undefined : parseNumber("--keyframe-interval", f.keyframeInterval, 0, 100_000, true),
    lossPct: parseNumber("--loss", f.loss, 0, 100),
    delayMs: parseNumber("--delay", f.delay, 0, 10_000),
    jitterMs: parseNumber("--jitter", f.jitter, 0, 10_000),
    reorderPct: parseNumber("--reorder", f.reorder, 0, 100),
    duplicatePct: parseNumber("--duplicate", f.duplicate, 0, 100),
    seed: parseNumber("--seed", f.seed, 0, 0xffffffff, true),
    realtime: f.realtime ?? false,
    nack: f.nack,
    fec: f.fec,
    temporalLayers: parseTemporalLayers(f.temporalLayers ?? "auto"),
    audioPacketMs: parseChoice("--audio-ptime", f.audioPtime ?? "20", ["20", "60"] as const) === "60" ? 60 : 20,
    abr: f.abr,
    startBitrateBps: parseBitrate("--start-bitrate", f.startBitrate, 10_000, 1e9),
    minBitrateBps: parseBitrate("--min-bitrate", f.minBitrate, 10_000, 1e9),
    maxBitrateBps: parseBitrate("--max-bitrate", f.maxBitrate, 10_000, 1e10),
    transport: parseChoice("--transport", f.transport, ["emulated", "udp"] as const),
    rateDirection: parseChoice("--rate-direction", f.rateDirection ?? "both", ["both", "a-to-b"] as const),
    mtuBytes: parseNumber("--mtu", f.mtu, 256, 9000, true),
    srtpSuite: parseChoice("--srtp", f.srtp, ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"] as const),
  };
  if (f.burst !== undefined) o.burstMeanLength = parseNumber("--burst", f.burst, 1, 1000);
  if (f.rate !== undefined) o.rateBps = parseBitrate("--rate", f.rate, 8_000, 10_000_000_000);
  if (f.lossTrace) o.lossTracePath = f.lossTrace;
  if (f.rateTrace) o.rateTracePath = f.rateTrace;
  if (f.input) o.inputPath = f.input;
  if (f.audioInput) o.audioInputPath = f.audioInput;
  if (o.burstMeanLength !== undefined && !(o.lossPct! > 0)) {
    throw new InvalidOptionError("Cannot use --burst without --loss: --burst sets the mean burst length of --loss (e.g. --loss 10 --burst 8)");
  }
  return o;
}

const f1 = (n: number | undefined, d = 1): string => (n === undefined || !Number.isFinite(n) ? "-" : n.toFixed(d));

/** A short human summary of a report. */
export function summaryText(r: CallReport): string {
  const lines = [`rtcpipe call: ${r.durationS} s ${r.realtime ? "in real time" : "on the virtual clock"} (${f1(r.wallTimeS, 2)} s wall; CPU ${f1(r.cpu.percentOfOneCore, 0)}% of one core per second of call, ${f1(r.cpu.peakRssMb, 0)} MB peak RSS, both peers)`];
  if (r.video) {
    const v = r.video;
    lines.push(
      `  video ${v.codec.toUpperCase()} ${v.width}x${v.height}: ${f1(v.bitrateKbps, 0)} kbps, ${v.framesSent} frames sent, ${v.framesDecoded} decoded (${f1(v.fpsDecoded)} fps)`,
      `    latency p50/p95/p99 ${f1(v.latencyMs.p50)}/${f1(v.latencyMs.p95)}/${f1(v.latencyMs.p99)} ms, PSNR mean ${f1(v.psnrDb.mean, 2)} dB (p5 ${f1(v.psnrDb.p5, 2)}), freezes ${v.freeze.count} (${f1(v.freeze.totalMs, 0)} ms)`,
      `    packets ${v.packets.sent} sent, ${v.packets.lostOnWire} lost on the wire (${f1(v.packets.lostOnWirePct, 2)}%), ${v.packets.lostAfterRecovery} after recovery (${f1(v.packets.lostAfterRecoveryPct, 2)}%); ${v.nacksSent} NACKs, ${v.retransmitted} RTX sent (${f1(v.rtxOverheadPct, 1)}% overhead), ${v.recoveredByRtx} used; ${v.recoveredByFec} recovered by FEC (${f1(v.fecOverheadPct, 1)}% overhead); ${f1(v.upperLayerFramesPct, 0)}% of frames in the upper temporal layer, ${v.unneededPacketsSkipped} packets skipped as not needed`,
    );
  }
  if (r.audio) {
    const a = r.audio;
    lines.push(
      `  audio Opus: ${f1(a.bitrateKbps)} kbps, ${a.framesSent} frames sent, ${a.framesDecoded} decoded, ${f1(a.concealedPct, 2)}% concealed, ${a.fecRecovered} recovered by in-band FEC, RED overhead ${f1(a.redOverheadPct, 0)}%`,
      `    latency p50/p95/p99 ${f1(a.latencyMs.p50)}/${f1(a.latencyMs.p95)}/${f1(a.latencyMs.p99)} ms, packets ${a.packets.sent} sent, ${a.packets.lostOnWire} lost on the wire`,
    );
  }
  const b = r.bandwidth;
  if (b) {
    lines.push(
      `  bandwidth: estimate mean ${f1(b.estimateKbpsMean, 0)} kbps, link utilization ${Number.isFinite(b.utilizationPct) ? `${f1(b.utilizationPct, 0)}%` : "n/a (no bottleneck)"}, bottleneck queue p95 ${f1(b.queueDelayP95Ms, 0)} ms (max ${f1(b.queueDelayMaxMs, 0)}), ${b.formatChanges} video format changes, padding ${f1(b.paddingOverheadPct, 1)}%`,
    );
  }
  lines.push(`  RTCP: RTT ${f1(r.rtcp.rttMs)} ms, ${r.rtcp.srSent} SR, ${r.rtcp.pliSent} PLI sent; SRTP ${r.srtp.suite}: ${r.srtp.authFailures} auth failures, ${r.srtp.replayed} replayed`);
  return lines.join("\n");
}

export function callCommand(setCode: (code: number) => void): Command {
  return new Command("call")
    .description("Run a two-peer call in one process over the emulated network (virtual clock unless --realtime) and report what it measured")
    .option("--duration <s>", "call length in seconds", "10")
    .addOption(new Option("--video <codec>", "video codec").choices(["vp8", "vp9", "none"]).default("vp8"))
    .addOption(new Option("--audio <codec>", "audio codec").choices(["opus", "none"]).default("opus"))
    .option("--size <WxH>", "video size", "640x480")
    .option("--fps <n>", "frames per second", "30")
    .option("--bitrate <bps>", "video bitrate, e.g. 800k or 1.2M (with adaptive bitrate: the most video gets)", "800k")
    .option("--audio-bitrate <bps>", "Opus bitrate", "32k")
    .option("--keyframe-interval <frames>", "a keyframe every N frames (0: the first and on request; default 0 with adaptive bitrate, 90 with --no-abr)")
    .option("--loss <pct>", "random packet loss per direction, %", "0")
    .option("--burst <packets>", "make --loss bursty (Gilbert-Elliott) with this mean burst length")
    .option("--delay <ms>", "one-way delay", "0")
    .option("--jitter <ms>", "random extra delay 0..ms (order kept)", "0")
    .option("--rate <bps>", "bottleneck rate per direction, e.g. 1M (drop-tail queue of 300 ms)")
    .option("--reorder <pct>", "packets delayed past later ones, %", "0")
    .option("--duplicate <pct>", "packets duplicated, %", "0")
    .option("--loss-trace <file>", "replay a loss trace (docs/trace-formats.md)")
    .option("--rate-trace <file>", "replay a bandwidth trace (docs/trace-formats.md)")
    .addOption(new Option("--rate-direction <dirs>", "where --rate / --rate-trace apply: both directions, or a-to-b only (B to A unconstrained, RFC 8867 5.1)").choices(["both", "a-to-b"]).default("both"))
    .option("--seed <n>", "seed of every random choice", "1")
    .option("--input <file.y4m>", "video input (looped) instead of the test pattern")
    .option("--audio-input <file.wav>", "48 kHz WAV input (looped) instead of the speech-like signal")
    .option("--realtime", "run on the wall clock (reports CPU % and memory of a live call)")
    .addOption(new Option("--transport <kind>", "emulated network, or real UDP sockets on 127.0.0.1 (implies --realtime)").choices(["emulated", "udp"]).default("emulated"))
    .addOption(new Option("--srtp <suite>", "SRTP protection suite").choices(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"]).default("AEAD_AES_128_GCM"))
    .option("--no-nack", "turn off NACK/RTX retransmission of video (RFC 4585/4588)")
    .option("--no-fec", "turn off forward error correction (video ULPFEC, audio RED and Opus in-band FEC)")
    .addOption(new Option("--audio-ptime <ms>", "Opus per RTP packet: 20, or 60 (a third of the packet headers, 40 ms more delay)").choices(["20", "60"]).default("20"))
    .addOption(new Option("--temporal-layers <n>", "video temporal layers: 2 lets a lost upper-layer frame be skipped instead of waited for; auto = 2 on a lossy long-RTT path").choices(["auto", "1", "2"]).default("auto"))
    .option("--no-abr", "turn off adaptive bitrate (TWCC, bandwidth estimation, pacing): encoders keep --bitrate/--audio-bitrate")
    .option("--start-bitrate <bps>", "adaptive bitrate: total send rate before feedback", "300k")
    .option("--min-bitrate <bps>", "adaptive bitrate: least total rate", "30k")
    .option("--max-bitrate <bps>", "adaptive bitrate: most total rate", "2.5M")
    .option("--mtu <bytes>", "largest RTP packet before the SRTP tag", "1200")
    .option("--name <identity>", "a call between processes: this side's identity on the signaling server")
    .option("--peer <identity>", "a call between processes: whom to call (both sides name each other)")
    .option("--signal <url>", "a call between processes: the signaling server, e.g. ws://127.0.0.1:8080 (rtcpipe signal)")
    .option("--turn <url>", "TURN server turn:IP[:PORT] for relayed candidates (repeat for several: the lowest RTT relays)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--turn-user <name>", "TURN username (long-term credentials)")
    .option("--turn-pass <password>", "TURN password")
    .option("--force-relay", "use relayed candidates only (through --turn)")
    .option("--identity <file>", "identity key file (rtcpipe identity create); default ~/.config/rtcpipe/identity.json")
    .option("--known-peers <file>", "pinned peer identities; default next to the identity file")
    .option("--accept-new-identity", "accept (and re-pin) a peer whose identity key changed")
    .option("--connect-timeout <s>", "wait this long for the peer and the connection", "30")
    .option("--bind <ip>", "a call between processes: local address for host candidates (repeatable; default 127.0.0.1)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--rekey-interval <s>", "a call between processes: the caller rekeys (new ephemeral key exchange, SRTP keys switched without a media gap) every S seconds; 0 = never (default 300)")
    .option("--out <dir>", "write report.json and report.html here")
    .option("--json", "print report.json to stdout instead of the summary")
    .option("--no-progress", "do not print progress lines")
    .action(async (flags: CallFlags) => {
      try {
        if (flags.signal !== undefined || flags.peer !== undefined || flags.name !== undefined) {
          const remote = await runRemoteFromFlags(flags);
          if (flags.out) {
            mkdirSync(flags.out, { recursive: true });
            writeFileSync(join(flags.out, "report.json"), JSON.stringify(remote, null, 2));
            writeFileSync(join(flags.out, "report.html"), renderReportHtml(remote, remoteSummaryRows(remote)));
          }
          process.stdout.write(flags.json ? `${JSON.stringify(remote, null, 2)}\n` : `${remoteSummaryText(remote)}\n${flags.out ? `  report: ${join(flags.out, "report.html")}\n` : ""}`);
          setCode(ExitCode.OK);
          return;
        }
        if (flags.rekeyInterval !== undefined) throw new InvalidOptionError("Cannot use --rekey-interval without --signal: the emulated call has no key exchange to rerun (it applies to a call between processes)");
        const options = callOptionsFromFlags(flags);
        if (flags.progress) {
          options.onProgress = (p) =>
            process.stderr.write(
              `  t=${String(p.tS).padStart(3)}/${p.durationS} s  video ${f1(p.videoKbps, 0).padStart(5)} kbps  audio ${f1(p.audioKbps, 0).padStart(3)} kbps  loss ${f1(p.wireLossPct, 1).padStart(4)}%  latency ${f1(p.videoLatencyP50Ms, 0).padStart(4)} ms  PSNR ${f1(p.psnrDb, 1)} dB\n`,
            );
        }
        const report = await runCall(options);
        if (flags.out) {
          mkdirSync(flags.out, { recursive: true });
          writeFileSync(join(flags.out, "report.json"), JSON.stringify(report, null, 2));
          writeFileSync(join(flags.out, "report.html"), renderReportHtml(report));
        }
        if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else process.stdout.write(`${summaryText(report)}\n${flags.out ? `  report: ${join(flags.out, "report.html")}\n` : ""}`);
        setCode(ExitCode.OK);
      } catch (err) {
        setCode(reportError(err));
      }
    });
}
