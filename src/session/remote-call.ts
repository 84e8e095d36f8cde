import { randomUUID } from "node:crypto";
import { appendFileSync, existsSync } from "node:fs";
import { CallKeyExchange, type KeyExchangeOutput } from "../e2ee/call-key-exchange.js";
import type { CallSrtpKeys } from "../e2ee/call-srtp-keys.js";
import { IdentityPublicKey } from "../e2ee/identity-public-key.js";
import { loadIdentityFile } from "../e2ee/identity-file.js";
import { KnownPeers, loadKnownPeers, saveKnownPeers } from "../e2ee/known-peers.js";
import type { SwitchIndex } from "../e2ee/key-message-codec.js";
import { OfferReplayGuard } from "../e2ee/offer-replay-guard.js";
import { RekeyingSrtpSession } from "../e2ee/rekeying-srtp-session.js";
import { identityFingerprint, safetyNumber } from "../e2ee/safety-number.js";
import { InvalidOptionError, MalformedPacketError, RtcpipeError, checkRange } from "../errors.js";
import { formatCandidateSdp, parseCandidateSdp } from "../ice/candidate-sdp.js";
import type { IceEvent, IceSelectedPair, IceTurnServer } from "../ice/ice-agent.js";
import { IceUdpTransport } from "../ice/ice-udp-transport.js";
import { formatTransportAddress } from "../stun/transport-address.js";
import type { AudioFrame } from "../media/audio-frame.js";
import { SpeechLikeSource } from "../media/speech-like-source.js";
import { TestPatternSource } from "../media/test-pattern-source.js";
import type { VideoFrame } from "../media/video-frame.js";
import type { CallTimeline } from "../metrics/call-report.js";
import { Percentiles } from "../metrics/percentiles.js";
import { RealClock } from "../pipeline/clock.js";
import { timestampDiff } from "../rtp/wrap-around-unwrapper.js";
import { SignalingClient, type IncomingCall } from "../signaling/signaling-client.js";
import { SeededRandom } from "../util/seeded-random.js";
import { congestionFor, receiveConfigFor, sendConfigFor } from "./call-media.js";
import { resolveCallOptions, type CallOptions } from "./call-options.js";
import { DirectionMetrics } from "./direction-metrics.js";
import { Peer } from "./peer.js";
import type { SendConfig } from "./stream-config.js";
import { warmUpCodecs } from "./warm-up-codecs.js";

/** Options of a call between two processes (`rtcpipe call --name A --peer B --signal URL`). */
export interface RemoteCallOptions {
  /** This side's identity on the signaling server. */
  name: string;
  /** Whom to call; both sides name each other, the one whose name sorts first sends the offer. */
  peer: string;
  /** The signaling server (`ws://127.0.0.1:PORT`). */
  signalUrl: string;
  /** TURN servers for relayed candidates (the lowest-RTT one is used). */
  turnServers?: IceTurnServer[];
  /** Relayed candidates only (RFC 8445 policy "relay"). */
  forceRelay?: boolean;
  /** Local addresses to gather host candidates on (default 127.0.0.1). */
  bindAddresses?: string[];
  /** Identity key file (`rtcpipe identity create`) and the pinned peers file. */
  identityPath: string;
  knownPeersPath: string;
  /** Accept a peer identity that differs from its pin (and re-pin it). Default false. */
  acceptNewIdentity?: boolean;
  /**
   * Once media flows, nothing from the peer for this long means the path broke (ICE
   * "disconnected"; the caller restarts ICE at once). Default 400 ms: 50 audio packets a second
   * and TWCC feedback keep a healthy path far busier than that.
   */
  mediaTimeoutMs?: number;
  /** How long to wait for the peer to come online and the call to connect (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * The caller starts a new ephemeral key exchange (a rekey) every this many seconds of media;
   * SRTP switches to its keys at packet indexes announced ahead, without a gap in media. Default
   * 300; 0 = never; allowed 0 or 1..86400. The callee follows the caller's rekeys whatever its own value.
   */
  rekeyIntervalS?: number;
  /** Media options as for the emulated call (network impairment options do not apply). */
  media?: CallOptions;
  /** A line per event and per second, for the CLI. */
  onLog?: (line: string) => void;
}

/** One event of the call set-up, in ms since the start. */
export interface RemoteCallEvent {
  tMs: number;
  event: string;
}

/** What a call between processes measured on this side (the direction it received). */
export interface RemoteCallReport {
  tool: "rtcpipe";
  mode: "remote";
  startedAt: string;
  /** The options of the call (no credentials). */
  options: Record<string, unknown>;
  /** Per second, this side: frames decoded, median latencies, PSNR, RTT, its estimate and what it sent. */
  timeline: Pick<CallTimeline, "t" | "fps" | "videoLatencyMs" | "audioLatencyMs" | "psnrDb" | "rttMs" | "estimateKbps" | "sentKbps">;
  name: string;
  peer: string;
  role: "caller" | "callee";
  callId: string;
  durationS: number;
  /** Offer (sent or received) to the first decoded video frame, and to ICE connected (ms). */
  setupMs: { offerToConnected: number; offerToFirstFrame: number };
  ice: {
    selected: { local: string; remote: string; localType: string; remoteType: string; relayed: boolean } | undefined;
    restarts: number;
    /** The longest time without received media after the first packet (ms): a path change shows here. */
    longestMediaGapMs: number;
    timeline: RemoteCallEvent[];
    stats: Record<string, number>;
  };
  e2ee: {
    suite: string;
    /** The newest key epoch confirmed (0 = the set-up's keys), and rekeys completed on this side. */
    epoch: number;
    rekeys: number;
    /**
     * The longest time without received media within 250 ms of a switch (the first packet that
     * authenticated under a new epoch's keys), over all rekeys (ms; 0 without rekeys).
     */
    longestGapAtSwitchMs: number;
    /** Received packets that failed under the keys their index selected and authenticated under the other epoch's. */
    fallbacks: number;
    peerFingerprint: string;
    safetyNumber: string;
    pin: string;
  };
  video?: { framesDecoded: number; fps: number; framesPerSecond: number[]; latencyMs: { p50: number; p95: number }; psnrDbMean: number; freezes: number; freezeMs: number };
  audio?: { framesPlayed: number; concealedPct: number; latencyMs: { p50: number; p95: number } };
  rtcp: { rttMs: number };
  srtp: { authFailures: number; replayed: number; malformed: number };
  bandwidth?: { estimateKbps: number };
  peerStats: Record<string, number>;
}

/** The call description each side sends in its offer/answer payload. */
export interface CallDescription {
  ice: { ufrag: string; pwd: string };
  send: SendConfig;
  /** Seed of the sender's test pattern (lets the receiver rebuild source frames for PSNR). */
  patternSeed?: number;
  /** The sender stamps transport-wide sequence numbers and wants TWCC feedback. */
  transportCc: boolean;
  /** Key-exchange messages (base64url). */
  key: string[];
}

/** Everything else travels in "candidate" messages: trickled candidates, key messages, restarts. */
interface CallUpdate {
  candidate?: string;
  endOfCandidates?: boolean;
  key?: string[];
  restart?: { ufrag: string; pwd: string };
  /** The sender's Peer exists (codecs loaded): media sent now is received. */
  ready?: boolean;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const unb64 = (s: unknown): Uint8Array => {
  if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length > 8192) throw new MalformedPacketError("Cannot read a key message: not base64url text of at most 8 KiB");
  return new Uint8Array(Buffer.from(s, "base64url"));
};

function parseJson(payload: string | undefined, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(payload ?? "");
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new MalformedPacketError(`Cannot read the peer's ${what}: not a JSON object`);
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** Validates the peer's description: only what we can receive, in range. @internal Exported for the fuzz test. */
export function parseDescription(payload: string | undefined): CallDescription {
  const d = parseJson(payload, "call description");
  const fail = (why: string): never => {
    throw new MalformedPacketError(`Cannot read the peer's call description: ${why}`);
  };
  const ice = d.ice as Record<string, unknown> | undefined;
  if (!ice || typeof ice.ufrag !== "string" || typeof ice.pwd !== "string") fail("ice.ufrag / ice.pwd missing");
  const send = d.send as Record<string, unknown> | undefined;
  if (!send || typeof send !== "object") fail("send missing");
  const v = send!.video as Record<string, unknown> | undefined;
  if (v !== undefined) {
    if (v.codec !== "vp8" && v.codec !== "vp9") fail("video.codec must be vp8 or vp9");
    if (!isInt(v.ssrc, 0, 0xffffffff) || (v.rtxSsrc !== undefined && !isInt(v.rtxSsrc, 0, 0xffffffff))) fail("video SSRCs must be 32-bit integers");
    if (!isInt(v.width, 16, 4096) || !isInt(v.height, 16, 4096) || typeof v.fps !== "number") fail("video size/fps out of range");
  }
  const a = send!.audio as Record<string, unknown> | undefined;
  if (a !== undefined && (!isInt(a.ssrc, 0, 0xffffffff) || (a.channels !== 1 && a.channels !== 2))) fail("audio ssrc/channels invalid");
  if (!Array.isArray(d.key) || d.key.length === 0 || d.key.length > 4) fail("key must list 1-4 key messages");
  return {
    ice: { ufrag: ice!.ufrag as string, pwd: ice!.pwd as string },
    send: send as unknown as SendConfig,
    patternSeed: isInt(d.patternSeed, 0, 0xffffffff) ? d.patternSeed : undefined,
    transportCc: d.transportCc === true,
    key: d.key as string[],
  };
}

/**
 * Debugging only, like TLS's SSLKEYLOGFILE: with RTCPIPE_SRTP_KEYLOG=FILE set, this call's SRTP
 * master keys are appended to FILE so a capture can be decrypted (tests prove with it that the
 * wire carries SRTP under the agreed keys). It defeats forward secrecy for that call: a warning
 * says so every time.
 */
function writeKeyLog(callId: string, name: string, k: CallSrtpKeys): void {
  const file = process.env.RTCPIPE_SRTP_KEYLOG;
  if (!file) return;
  if (k.epoch === 0) process.stderr.write(`rtcpipe: WARNING: writing this call's SRTP keys to ${file} (RTCPIPE_SRTP_KEYLOG): anyone with that file can decrypt the call\n`);
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  appendFileSync(file, `${JSON.stringify({ callId, name, suite: k.suite, epoch: k.epoch, sendKey: hex(k.sendMasterKey), sendSalt: hex(k.sendMasterSalt), receiveKey: hex(k.receiveMasterKey), receiveSalt: hex(k.receiveMasterSalt) })}\n`, { mode: 0o600 });
}

function describePair(p: IceSelectedPair): NonNullable<RemoteCallReport["ice"]["selected"]> {
  return {
    local: formatTransportAddress(p.local.address),
    remote: formatTransportAddress(p.remote.address),
    localType: p.local.type,
    remoteType: p.remote.type,
    relayed: p.local.type === "relay" || p.remote.type === "relay",
  };
}

/**
 * A real call between two processes: register on the signaling server, agree ephemeral call
 * keys end to end (X3DH-style, src/e2ee/; the server relays opaque messages it cannot use),
 * connect with ICE (direct first, TURN relay as fallback, restart on a path change), then run
 * the same Peer as the emulated call on the wall clock over the selected pair. Every
 * `rekeyIntervalS` the caller reruns the key exchange (a new epoch, fresh ephemeral keys); each
 * side names, per SSRC it sends, a switch index ~min(1.5 s, interval/3) of its packets ahead
 * (from the measured packet rate), and both directions' RekeyingSrtpSession switch there, so
 * media flows on without a gap. Resolves with what this side received; hangs up and zeroes the
 * call keys at the end.
 */
export async function runRemoteCall(options: RemoteCallOptions): Promise<RemoteCallReport> {
  const { name, peer: peerName, signalUrl } = options;
  if (typeof name !== "string" || typeof peerName !== "string" || name === peerName) {
    throw new InvalidOptionError("Cannot make a call: --name and --peer must be two different identities");
  }
  const rekeyIntervalS = checkRange("rekeyIntervalS", options.rekeyIntervalS ?? 300, 0, 86_400);
  if (rekeyIntervalS > 0 && rekeyIntervalS < 1) throw new InvalidOptionError(`Cannot use rekeyIntervalS ${rekeyIntervalS}: allowed is 0 (never) or 1..86400 s`);
  const o = resolveCallOptions({ ...options.media, realtime: true });
  const log = options.onLog ?? (() => {});
  const timeoutMs = options.connectTimeoutMs ?? 30_000;
  const t0 = performance.now();
  const timeline: RemoteCallEvent[] = [];
  const note = (event: string): void => {
    timeline.push({ tMs: Math.round(performance.now() - t0), event });
    log(`  [${String(Math.round(performance.now() - t0)).padStart(5)} ms] ${event}`);
  };
  const role = name < peerName ? "caller" : "callee";
  const { identity } = loadIdentityFile(options.identityPath);
  const knownPeers = existsSync(options.knownPeersPath) ? loadKnownPeers(options.knownPeersPath) : new KnownPeers();
  const rng = new SeededRandom(o.seed ^ (Date.now() & 0xffff));
  const sendConfig = sendConfigFor(o, rng);
  const patternSeed = o.seed;

  const signaling = await SignalingClient.connect(signalUrl);
  const ice = await IceUdpTransport.create({
    role: role === "caller" ? "controlling" : "controlled",
    turnServers: options.turnServers,
    policy: options.forceRelay ? "relay" : "all",
    bindAddresses: options.bindAddresses,
    restartOnDisconnect: role === "caller",
  });
  let kx: CallKeyExchange | undefined;
  let peer: Peer | undefined;
  let callId = role === "caller" ? randomUUID() : "";
  let remote: CallDescription | undefined;
  let restarts = 0;
  let hungUp = false;
  let failure: Error | undefined;
  let offerAt = NaN;
  let remoteReady = false;
  const waiters: (() => void)[] = [];
  const wakeAll = (): void => waiters.splice(0).forEach((w) => w());
  let keys: CallSrtpKeys | undefined;

  const sendUpdate = (u: CallUpdate): void => {
    if (callId) void signaling.candidate(peerName, callId, JSON.stringify(u)).catch((err: unknown) => note(`signaling refused an update: ${err instanceof Error ? err.message : String(err)}`));
  };
  ice.onEvent = (e: IceEvent) => {
    if (e.type === "candidate") sendUpdate({ candidate: formatCandidateSdp(e.candidate) });
    else if (e.type === "gathering-complete") sendUpdate({ endOfCandidates: true });
    else if (e.type === "selected-pair") {
      const p = describePair(e.pair);
      note(`ICE selected ${p.localType} ${p.local} -> ${p.remoteType} ${p.remote}${p.relayed ? " (relayed)" : ""}`);
      wakeAll();
    } else if (e.type === "restarted") {
      restarts++;
      note("ICE restart: new credentials signaled");
      sendUpdate({ restart: { ufrag: e.ufrag, pwd: e.pwd } });
    } else if (e.type === "turn-selected") note(`TURN ${e.server.address}:${e.server.port} chosen (RTT ${e.rttMs ?? "?"} ms)`);
    else if (e.type === "turn-error") note(`TURN ${e.server.address}:${e.server.port}: ${e.message}`);
    else if (e.type === "disconnected" || e.type === "consent-lost") note(`ICE ${e.type}`);
    else if (e.type === "failed") {
      failure = new RtcpipeError("ERR_CLOSED", `Cannot connect to ${peerName}: ${e.reason}`);
      wakeAll();
    }
  };

  // Rekeying (issue 7): once media runs, both directions go through RekeyingSrtpSession.
  let srtpTx: RekeyingSrtpSession | undefined;
  let srtpRx: RekeyingSrtpSession | undefined;
  let rekeys = 0;
  const switchMarginS = rekeyIntervalS > 0 ? Math.min(1.5, rekeyIntervalS / 3) : 1.5;
  let rateSamples: { atUs: number; indexes: Map<number, number> }[] = [];
  /** Where each of this side's flowing streams switches: ~switchMarginS of its packets past its next index. */
  const switchIndexesAhead = (nowUs: number): SwitchIndex[] => {
    if (!srtpTx) return [];
    const base = rateSamples[0];
    const out: SwitchIndex[] = [];
    for (const { ssrc, index } of srtpTx.nextSendIndexes()) {
      const then = base?.indexes.get(ssrc);
      const elapsedS = base ? (nowUs - base.atUs) / 1e6 : 0;
      if (then === undefined || elapsedS < 0.25) continue;
      const ratePerS = (index - then) / elapsedS;
      // A stream that barely sends (RTX without loss) is not listed: it switches once the listed
      // ones did, and the receiver finds its keys by falling back (RekeyingSrtpSession).
      if (ratePerS < 5) continue;
      out.push({ ssrc, index: Math.min(2 ** 48 - 1, index + Math.max(16, Math.ceil(ratePerS * switchMarginS))) });
    }
    return out;
  };
  const sampleSendRates = (nowUs: number): void => {
    if (!srtpTx) return;
    rateSamples.push({ atUs: nowUs, indexes: new Map(srtpTx.nextSendIndexes().map((s) => [s.ssrc, s.index])) });
    if (rateSamples.length > 3) rateSamples = rateSamples.slice(-3);
  };
  /** Receive side: the `next` count of srtpRx when a switch was scheduled, until a packet uses the new keys. */
  let switchBaseline: number | undefined;
  let nowForKeys = (): number => performance.now() * 1000;
  const applyRekey = (k: CallSrtpKeys): void => {
    if (!srtpTx || !srtpRx) return;
    srtpTx.scheduleSwitch(k.createSendSession(), k.sendSwitchIndexes);
    srtpRx.scheduleSwitch(k.createReceiveSession(), k.receiveSwitchIndexes);
    writeKeyLog(callId, name, k);
    rekeys++;
    switchBaseline = srtpRx.stats().next;
    note(`rekeyed to epoch ${k.epoch} (switch at ${k.sendSwitchIndexes.map((s) => `0x${s.ssrc.toString(16)}:${s.index}`).join(" ") || "-"} sent, ${k.receiveSwitchIndexes.map((s) => `0x${s.ssrc.toString(16)}:${s.index}`).join(" ") || "-"} received)`);
  };

  // Key messages: on an error the exchange refuses the call (a forged or swapped key); a failed
  // rekey keeps the current keys (CallKeyExchange drops it), so the call goes on.
  const onKeyMessages = (messages: string[]): void => {
    for (const m of messages) {
      let out: KeyExchangeOutput;
      try {
        out = kx!.receive(unb64(m), Date.now(), switchIndexesAhead(nowForKeys()));
      } catch (err) {
        if (!keys) throw err;
        note(`rekey message dropped: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (out.messages.length > 0) sendUpdate({ key: out.messages.map(b64) });
      if (out.keys && !keys) {
        keys = out.keys;
        note(`call keys confirmed end to end (${out.keys.suite}); safety number ${safetyNumber(identity.publicKey, kx!.peerIdentity!)}`);
        wakeAll();
      } else if (out.keys) {
        applyRekey(out.keys);
      }
    }
  };
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      note(`refused: ${failure.message}`);
      wakeAll();
    }
  };
  const description = (keyMessages: Uint8Array[]): string =>
    JSON.stringify({ ice: ice.localCredentials, send: sendConfig, patternSeed, transportCc: o.abr, key: keyMessages.map(b64) } satisfies CallDescription);
  const newExchange = (): CallKeyExchange =>
    new CallKeyExchange({ identity, role, callId, peerName, knownPeers, replayGuard: new OfferReplayGuard(), suites: [o.srtpSuite], acceptNewIdentity: options.acceptNewIdentity });

  signaling.on("offer", (m: IncomingCall) => guard(() => {
    if (role !== "callee" || m.from !== peerName || remote) return;
    callId = m.callId;
    offerAt = performance.now();
    note(`offer from ${m.from} (call ${callId})`);
    remote = parseDescription(m.payload);
    kx = newExchange();
    const out = kx.receive(unb64(remote.key[0]), Date.now());
    ice.setRemoteCredentials(remote.ice.ufrag, remote.ice.pwd);
    void signaling.answer(peerName, callId, description(out.messages));
    ice.gather();
    wakeAll();
  }));
  signaling.on("answer", (m: IncomingCall) => guard(() => {
    if (role !== "caller" || m.from !== peerName || m.callId !== callId || remote) return;
    note(`answer from ${m.from}`);
    remote = parseDescription(m.payload);
    ice.setRemoteCredentials(remote.ice.ufrag, remote.ice.pwd);
    onKeyMessages(remote.key);
    wakeAll();
  }));
  signaling.on("candidate", (m: IncomingCall) => guard(() => {
    if (m.from !== peerName || m.callId !== callId) return;
    const u = parseJson(m.payload, "update") as CallUpdate;
    if (typeof u.candidate === "string") ice.addRemoteCandidate(parseCandidateSdp(u.candidate));
    if (u.endOfCandidates === true) ice.setRemoteEndOfCandidates();
    if (u.restart && typeof u.restart.ufrag === "string" && typeof u.restart.pwd === "string") {
      note(`${peerName} restarted ICE (new credentials)`);
      ice.setRemoteCredentials(u.restart.ufrag, u.restart.pwd);
    }
    if (Array.isArray(u.key)) onKeyMessages(u.key as string[]);
    if (u.ready === true) {
      remoteReady = true;
      wakeAll();
    }
  }));
  signaling.on("hang-up", (m: IncomingCall) => {
    if (m.from === peerName && m.callId === callId) {
      hungUp = true;
      note(`${peerName} hung up`);
      wakeAll();
    }
  });
  signaling.on("close", () => {
    if (!hungUp) note("signaling connection closed");
  });

  const until = async (done: () => boolean, what: string): Promise<void> => {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      if (failure) throw failure;
      if (hungUp) throw new RtcpipeError("ERR_CLOSED", `Cannot make the call: ${peerName} hung up`);
      if (performance.now() > deadline) throw new RtcpipeError("ERR_CLOSED", `Cannot make the call: ${what} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100).unref();
      });
    }
  };

  // Compile and tier up the codecs while signaling and ICE run (not as a stall at the first frame).
  const warm = warmUpCodecs(o.video === "none" ? undefined : { codec: o.video, width: o.width, height: o.height }, o.audio !== "none");
  try {
    await signaling.register(name);
    note(`registered as ${name} on ${signalUrl}; waiting for ${peerName}`);
    // Listen before asking: the peer may come online between the answer and the next line.
    let online = false;
    let presenceSeen = false;
    signaling.on("presence", (who, up) => {
      if (who === peerName) {
        online = up;
        presenceSeen = true;
        wakeAll();
      }
    });
    const state = await signaling.watch([peerName]);
    if (!presenceSeen) online = state.online.includes(peerName);
    await until(() => online, `${peerName} did not come online`);
    note(`${peerName} is online; ${role}`);
    if (role === "caller") {
      kx = newExchange();
      offerAt = performance.now();
      await signaling.offer(peerName, callId, description([kx.createOffer(Date.now())]));
      note(`offer sent (call ${callId})`);
      ice.gather();
    }
    await until(() => keys !== undefined && ice.selectedPair !== undefined, "the call did not connect (keys and ICE)");
    const connectedAt = performance.now();
    writeKeyLog(callId, name, keys!);

    // The media: the same Peer as the emulated call, on the wall clock, over the selected pair.
    const r = remote!;
    const clock = new RealClock();
    const epochUs = Date.now() * 1000 - clock.nowUs();
    const k = keys!;
    nowForKeys = () => clock.nowUs();
    const rekeyingRx = new RekeyingSrtpSession(k.createReceiveSession());
    srtpTx = new RekeyingSrtpSession(k.createSendSession());
    srtpRx = rekeyingRx;
    const remoteSsrc = { video: r.send.video?.ssrc, audio: r.send.audio?.ssrc };
    const captureOf = (kind: "video" | "audio", rtpTimestamp: number): number => {
      // The remote's SR maps its RTP clock to wall time (RFC 3550 6.4.1); both run on one host's clock.
      const ssrc = kind === "video" ? remoteSsrc.video : remoteSsrc.audio;
      const sr = ssrc === undefined ? undefined : peer?.rtcp.senderReports.get(ssrc);
      if (!sr) return NaN;
      return sr.wallUs + (timestampDiff(rtpTimestamp, sr.rtpTimestamp) / (kind === "video" ? 90_000 : 48_000)) * 1e6 - epochUs;
    };
    peer = await Peer.create({
      cname: name,
      transport: ice,
      clock,
      send: sendConfig,
      receive: { ...receiveConfigFor(o, r.send), transportCc: r.transportCc },
      srtp: { sessions: { send: srtpTx, receive: srtpRx } },
      wallClockUs: (t) => epochUs + t,
      congestion: congestionFor(o),
      addProcessingTime: false,
      seed: o.seed,
      annotateVideo: (f) => void (f.captureTimeUs = captureOf("video", f.rtpTimestamp)),
      annotateAudio: (f) => void (f.captureTimeUs = captureOf("audio", f.rtpTimestamp)),
    });
    const startUs = clock.nowUs();
    const endUs = startUs + o.durationS * 1e6;
    const metrics = new DirectionMetrics(startUs, endUs, 1e6 / (r.send.video?.fps ?? 30));
    const pattern = r.send.video && r.patternSeed !== undefined ? new TestPatternSource({ width: r.send.video.width, height: r.send.video.height, fps: r.send.video.fps, seed: r.patternSeed }) : undefined;
    let firstFrameAt = NaN;
    let lastMediaUs = NaN;
    let longestGapUs = 0;
    // Gaps within 250 ms of each switch: the gaps of the last 250 ms when the first packet under
    // the new keys arrives, then those that start in the 250 ms after it.
    const SWITCH_WINDOW_US = 250_000;
    let longestGapAtSwitchUs = 0;
    let switchAtUs = NaN;
    const recentGaps: { endUs: number; gapUs: number }[] = [];
    const onMedia = ice.onReceive;
    // Arrival times on the call's clock (the transport stamps its own wall-clock base).
    ice.onReceive = (data) => {
      const now = clock.nowUs();
      if (Number.isFinite(lastMediaUs)) {
        const gapUs = now - lastMediaUs;
        longestGapUs = Math.max(longestGapUs, gapUs);
        if (lastMediaUs >= switchAtUs && lastMediaUs <= switchAtUs + SWITCH_WINDOW_US) longestGapAtSwitchUs = Math.max(longestGapAtSwitchUs, gapUs);
        if (gapUs > 10_000) recentGaps.push({ endUs: now, gapUs });
        while (recentGaps.length > 0 && recentGaps[0]!.endUs < now - SWITCH_WINDOW_US) recentGaps.shift();
      }
      lastMediaUs = now;
      onMedia(data, now);
      if (switchBaseline !== undefined && rekeyingRx.stats().next > switchBaseline) {
        switchBaseline = undefined;
        switchAtUs = now;
        for (const g of recentGaps) longestGapAtSwitchUs = Math.max(longestGapAtSwitchUs, g.gapUs);
      }
    };
    peer.onVideoFrame = (frame: VideoFrame, renderUs: number) => {
      if (Number.isNaN(firstFrameAt)) {
        firstFrameAt = performance.now();
        note("first video frame decoded");
      }
      const index = pattern ? pattern.readFrameIndex(frame) : -1;
      metrics.onVideoRendered(frame, renderUs, index >= 0 ? pattern!.frameAt(index) : undefined);
    };
    peer.onAudioFrame = (frame: AudioFrame, playUs, out) => metrics.onAudioPlayed(frame, playUs, out);
    await warm;
    // Both Peers exist before either sends: the first keyframe is not lost to a peer still loading.
    sendUpdate({ ready: true });
    // Wait for the peer's Peer at most 2 s: after that, start anyway (a lost first keyframe is
    // asked for again by PLI) rather than fail a call that is connected and keyed.
    const readyBy = performance.now() + 2000;
    await until(() => remoteReady || performance.now() > readyBy, `${peerName} did not get ready for media`);
    if (!remoteReady) note(`${peerName} did not say it was ready within 2 s; starting media anyway`);
    peer.start();
    ice.agent.setReceiveTimeoutMs(options.mediaTimeoutMs ?? 400);
    note("media started");
    // Send rates for the switch indexes, and the caller's rekey timer (issue 7).
    const sampler = clock.every(500_000, sampleSendRates);
    const rekeyTimer = role === "caller" && rekeyIntervalS > 0
      ? clock.every(rekeyIntervalS * 1e6, (nowUs) => {
        if (hungUp || kx!.exchangeInProgress) return;
        const at = switchIndexesAhead(nowUs);
        if (at.length === 0) return; // nothing flows yet: try at the next tick
        try {
          sendUpdate({ key: [b64(kx!.rekey(Date.now(), at))] });
          note(`rekey offered (epoch ${kx!.epoch + 1})`);
        } catch (err) {
          note(`rekey not started: ${err instanceof Error ? err.message : String(err)}`);
        }
      })
      : undefined;

    const video = o.video === "none" ? undefined : new TestPatternSource({ width: o.width, height: o.height, fps: o.fps, seed: patternSeed });
    const audio = o.audio === "none" ? undefined : new SpeechLikeSource({ seed: o.seed + 7919 });
    const frameUs = 1e6 / o.fps;
    let vn = 0;
    let an = 0;
    const captureVideo = (): void => {
      if (!video || hungUp || startUs + vn * frameUs >= endUs) return;
      const f = video.next();
      if (f) {
        f.captureTimeUs = startUs + Math.round(vn * frameUs);
        peer!.sendVideo(f, clock.nowUs());
      }
      vn++;
      clock.at(startUs + Math.round(vn * frameUs), captureVideo);
    };
    const captureAudio = (): void => {
      if (!audio || hungUp || startUs + an * 20_000 >= endUs) return;
      const f = audio.next();
      if (f) {
        f.captureTimeUs = startUs + an * 20_000;
        peer!.sendAudio(f, clock.nowUs());
      }
      an++;
      clock.at(startUs + an * 20_000, captureAudio);
    };
    clock.at(startUs, captureVideo);
    clock.at(startUs, captureAudio);
    const perSecond = { rttMs: [] as number[], estimateKbps: [] as number[], sentKbps: [] as number[] };
    let wireBytesBefore = 0;
    for (let s = 1; s <= Math.ceil(o.durationS) && !hungUp; s++) {
      await new Promise((res) => setTimeout(res, Math.max(0, (startUs + s * 1e6 - clock.nowUs()) / 1000)));
      const b = metrics.seconds[s - 1];
      const wire = peer.stats().wireOutBytes ?? 0;
      perSecond.sentKbps.push(((wire - wireBytesBefore) * 8) / 1000);
      wireBytesBefore = wire;
      perSecond.rttMs.push(peer.rtcp.lastRttUs / 1000);
      perSecond.estimateKbps.push((peer.bandwidth?.controller.targetRateBps ?? NaN) / 1000);
      log(`  t=${String(s).padStart(3)}/${o.durationS} s  received ${b?.framesRendered ?? 0} frames  latency ${b ? Math.round(b.videoLatency.percentile(50)) : "-"} ms  RTT ${Math.round(peer.rtcp.lastRttUs / 1000)} ms`);
    }
    // Let the last frames arrive, then hang up.
    await new Promise((res) => setTimeout(res, 300));
    sampler.cancel();
    rekeyTimer?.cancel();
    if (!hungUp) await signaling.hangUp(peerName, callId).catch(() => {});
    note("hung up");
    metrics.freezes.finish(Math.min(clock.nowUs(), endUs), startUs);
    const st = peer.stats();
    const srtp = peer.srtpStats();
    const fz = metrics.freezes.stats();
    const sel = ice.selectedPair;
    const summarize = (p: Percentiles) => ({ p50: p.percentile(50), p95: p.percentile(95) });
    const seconds = perSecond.rttMs.length;
    const bucket = (i: number) => metrics.seconds[i];
    const series: RemoteCallReport["timeline"] = {
      t: Array.from({ length: seconds }, (_, i) => i + 1),
      fps: Array.from({ length: seconds }, (_, i) => bucket(i)?.framesRendered ?? 0),
      videoLatencyMs: Array.from({ length: seconds }, (_, i) => bucket(i)?.videoLatency.percentile(50) ?? NaN),
      audioLatencyMs: Array.from({ length: seconds }, (_, i) => bucket(i)?.audioLatency.percentile(50) ?? NaN),
      psnrDb: Array.from({ length: seconds }, (_, i) => (bucket(i)?.psnrCount ? bucket(i)!.psnrSum / bucket(i)!.psnrCount : NaN)),
      ...perSecond,
    };
    const report: RemoteCallReport = {
      tool: "rtcpipe",
      mode: "remote",
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      options: { name, peer: peerName, signalUrl, forceRelay: options.forceRelay ?? false, turnServers: (options.turnServers ?? []).map((t) => `${t.address}:${t.port}`), media: options.media ?? {} },
      timeline: series,
      name,
      peer: peerName,
      role,
      callId,
      durationS: o.durationS,
      setupMs: { offerToConnected: Math.round(connectedAt - offerAt), offerToFirstFrame: Math.round(firstFrameAt - offerAt) },
      ice: { selected: sel ? describePair(sel) : undefined, restarts, longestMediaGapMs: Math.round(longestGapUs / 1000), timeline, stats: ice.stats() },
      e2ee: {
        suite: k.suite,
        epoch: kx!.epoch,
        rekeys,
        longestGapAtSwitchMs: Math.round(longestGapAtSwitchUs / 1000),
        fallbacks: rekeyingRx.stats().fallbacks,
        peerFingerprint: identityFingerprint(kx!.peerIdentity as IdentityPublicKey),
        safetyNumber: safetyNumber(identity.publicKey, kx!.peerIdentity!),
        pin: knownPeers.get(peerName) ? "pinned" : "unpinned",
      },
      video: r.send.video ? {
        framesDecoded: metrics.framesRendered,
        fps: metrics.framesRendered / o.durationS,
        framesPerSecond: Array.from({ length: Math.ceil(o.durationS) }, (_, i) => metrics.seconds[i]?.framesRendered ?? 0),
        latencyMs: summarize(metrics.videoLatency),
        psnrDbMean: metrics.psnrY.mean,
        freezes: fz.count,
        freezeMs: fz.totalMs,
      } : undefined,
      audio: r.send.audio ? { framesPlayed: metrics.audioSlots, concealedPct: metrics.audioSlots ? (100 * metrics.audioConcealed) / metrics.audioSlots : 0, latencyMs: summarize(metrics.audioLatency) } : undefined,
      rtcp: { rttMs: peer.rtcp.lastRttUs / 1000 },
      srtp: { authFailures: srtp.authFailures, replayed: srtp.replayed, malformed: srtp.malformed },
      bandwidth: peer.bandwidth ? { estimateKbps: peer.bandwidth.controller.targetRateBps / 1000 } : undefined,
      peerStats: st,
    };
    return report;
  } finally {
    peer?.close();
    kx?.destroy(); // zeroes the ephemeral and SRTP keys (forward secrecy)
    ice.close();
    if (knownPeers.changed) saveKnownPeers(options.knownPeersPath, knownPeers);
    await signaling.close().catch(() => {});
  }
}
