/**
 * One-way RTP streams as rtcpipe describes them in SDP: one `m=` line per stream, VP8/VP9 at
 * 90 kHz (RFC 7741 6.1, RFC 9628 6), Opus as `opus/48000/2` (RFC 7587 6.1), RTP/AVP or, with
 * SDES keys (RFC 4568), RTP/SAVP with `a=crypto:1 <suite> inline:<key||salt>`.
 */
import type { CodecName } from "../codec/encoded-frame.js";
import { BadFileError, InvalidOptionError, checkInt } from "../errors.js";
import { parseSdesInlineKey } from "../srtp/sdes-inline-key.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../srtp/srtp-suite.js";
import type { SdpMediaDescription, SessionDescription } from "./session-description.js";

/** SDES keying of one stream. */
export interface RtpStreamSrtp {
  suite: SrtpSuiteName;
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
}

/** One RTP stream: where it goes, what it carries, how it is protected. */
export interface RtpStreamDescription {
  codec: CodecName;
  payloadType: number;
  /** Destination address (the receiver's), as in `c=`. */
  address: string;
  /** RTP port; RTCP goes to `rtcpPort`, by default port + 1 (RFC 3550 11). */
  port: number;
  rtcpPort?: number;
  ssrc?: number;
  cname?: string;
  srtp?: RtpStreamSrtp;
}

/** Options of {@link sessionDescriptionFromStreams}. */
export interface SessionDescriptionFromStreamsOptions {
  /** Default "rtcpipe". */
  sessionName?: string;
  /** Numeric session id (default "0"). */
  sessionId?: string;
  /** Address in the o= line (default the first stream's address). */
  originAddress?: string;
}

const RTPMAP: Readonly<Record<CodecName, { encodingName: string; clockRate: number; channels?: number; fmtp?: string; media: "video" | "audio" }>> = {
  vp8: { encodingName: "VP8", clockRate: 90_000, media: "video" },
  vp9: { encodingName: "VP9", clockRate: 90_000, media: "video" },
  // RFC 7587 6.1: always opus/48000/2; the fmtp parameters are receiver preferences.
  opus: { encodingName: "opus", clockRate: 48_000, channels: 2, fmtp: "minptime=10;useinbandfec=1", media: "audio" },
};

/** RTP clock rate of a codec (90 kHz video, 48 kHz Opus). */
export function rtpClockRate(codec: CodecName): number {
  return RTPMAP[codec].clockRate;
}

function addrType(address: string): "IP4" | "IP6" {
  return address.includes(":") ? "IP6" : "IP4";
}

/** Builds the session description that tells a receiver how to get `streams`. */
export function sessionDescriptionFromStreams(streams: readonly RtpStreamDescription[], options: SessionDescriptionFromStreamsOptions = {}): SessionDescription {
  if (streams.length === 0) throw new InvalidOptionError("Cannot describe a session: allowed is at least one stream");
  const first = streams[0]!;
  const originAddress = options.originAddress ?? first.address;
  return {
    origin: { username: "-", sessionId: options.sessionId ?? "0", sessionVersion: "0", netType: "IN", addrType: addrType(originAddress), address: originAddress },
    sessionName: options.sessionName ?? "rtcpipe",
    connection: { addrType: addrType(first.address), address: first.address },
    timing: { start: "0", stop: "0" },
    attributes: [{ name: "tool", value: "rtcpipe" }],
    media: streams.map((s) => {
      const map = RTPMAP[s.codec];
      if (map === undefined) throw new InvalidOptionError(`Cannot describe codec ${JSON.stringify(s.codec)}: allowed is one of vp8, vp9, opus`);
      checkInt("payloadType", s.payloadType, 0, 127);
      checkInt("port", s.port, 1, 65535);
      const m: SdpMediaDescription = {
        media: map.media,
        port: s.port,
        protocol: s.srtp ? "RTP/SAVP" : "RTP/AVP",
        formats: [String(s.payloadType)],
        rtpmaps: [{ payloadType: s.payloadType, encodingName: map.encodingName, clockRate: map.clockRate, ...(map.channels ? { channels: map.channels } : {}) }],
        fmtps: map.fmtp ? [{ payloadType: s.payloadType, parameters: map.fmtp }] : [],
        ssrcs: [],
        crypto: [],
        attributes: [],
        direction: "sendonly",
      };
      if (s.address !== first.address) m.connection = { addrType: addrType(s.address), address: s.address };
      if (s.rtcpPort !== undefined && s.rtcpPort !== s.port + 1) m.rtcpPort = checkInt("rtcpPort", s.rtcpPort, 1, 65535);
      if (s.ssrc !== undefined) m.ssrcs.push({ ssrc: checkInt("ssrc", s.ssrc, 0, 0xffffffff), attribute: "cname", value: s.cname ?? "rtcpipe" });
      if (s.srtp) {
        const p = SRTP_SUITES[s.srtp.suite];
        if (p === undefined) throw new InvalidOptionError(`Cannot describe SRTP suite ${JSON.stringify(s.srtp.suite)}: allowed is one of ${Object.keys(SRTP_SUITES).join(", ")}`);
        m.crypto.push({ tag: 1, suite: s.srtp.suite, keyParams: formatInline(s.srtp.masterKey, s.srtp.masterSalt), sessionParams: [] });
      }
      return m;
    }),
  };
}

function formatInline(key: Uint8Array, salt: Uint8Array): string {
  const all = new Uint8Array(key.length + salt.length);
  all.set(key, 0);
  all.set(salt, key.length);
  return `inline:${Buffer.from(all).toString("base64")}`;
}

function codecOf(encodingName: string, clockRate: number): CodecName | undefined {
  const n = encodingName.toLowerCase();
  if ((n === "vp8" || n === "vp9") && clockRate === 90_000) return n;
  if (n === "opus" && clockRate === 48_000) return "opus";
  return undefined;
}

/**
 * The RTP streams an SDP describes, one per usable `m=` section (port ≠ 0, RTP/AVP(F) or
 * RTP/SAVP(F), a VP8/VP9/Opus rtpmap). Throws BadFileError "Cannot read SDP <name>: ..." when
 * a section is unusable (unknown codec, SAVP without a usable a=crypto, bad key).
 */
export function rtpStreamsFromSessionDescription(desc: SessionDescription, name = "text"): RtpStreamDescription[] {
  const out: RtpStreamDescription[] = [];
  const fail: (k: number, m: SdpMediaDescription, reason: string) => never = (k, m, reason) => {
    throw new BadFileError(`Cannot read SDP ${name}: media section ${k + 1} (m=${m.media} ${m.port}): ${reason}`);
  };
  desc.media.forEach((m, k) => {
    if (m.port === 0) return; // rejected/disabled stream (RFC 8866 5.14)
    const savp = /^RTP\/SAVPF?$/.test(m.protocol);
    if (!savp && !/^RTP\/AVPF?$/.test(m.protocol)) fail(k, m, `protocol ${m.protocol} is not RTP/AVP or RTP/SAVP`);
    // ffmpeg's -sdp_file writes SRTP streams as RTP/AVP with an a=crypto line (and its SDP
    // demuxer reads them so): a usable a=crypto makes the stream SRTP whatever the protocol says.
    const names = Object.keys(SRTP_SUITES);
    const secure = savp || m.crypto.some((x) => names.includes(x.suite));
    let pick: { pt: number; codec: CodecName } | undefined;
    for (const f of m.formats) {
      const pt = Number(f);
      const map = m.rtpmaps.find((r) => r.payloadType === pt);
      const codec = map ? codecOf(map.encodingName, map.clockRate) : undefined;
      if (codec) {
        pick = { pt, codec };
        break;
      }
    }
    if (!pick) fail(k, m, `no payload type maps to VP8/90000, VP9/90000 or opus/48000 (rtpmaps: ${m.rtpmaps.map((r) => `${r.payloadType} ${r.encodingName}/${r.clockRate}`).join(", ") || "none"})`);
    const address = (m.connection ?? desc.connection)?.address;
    if (address === undefined) fail(k, m, "no c= address");
    const s: RtpStreamDescription = { codec: pick.codec, payloadType: pick.pt, address, port: m.port, rtcpPort: m.rtcpPort ?? m.port + 1 };
    const ssrcLine = m.ssrcs[0];
    if (ssrcLine) {
      s.ssrc = ssrcLine.ssrc;
      const cname = m.ssrcs.find((x) => x.ssrc === ssrcLine.ssrc && x.attribute === "cname");
      if (cname?.value !== undefined) s.cname = cname.value;
    }
    if (secure) {
      const c = m.crypto.find((x) => names.includes(x.suite));
      if (!c) fail(k, m, `RTP/SAVP needs an a=crypto line with one of ${names.join(", ")}${m.crypto.length ? ` (got ${m.crypto.map((x) => x.suite).join(", ")})` : ""}`);
      const keyParams = c.keyParams.split(";")[0]!;
      if (!keyParams.startsWith("inline:")) fail(k, m, `a=crypto key method must be inline:, got ${JSON.stringify(keyParams.slice(0, 20))}`);
      try {
        const key = parseSdesInlineKey(keyParams, c.suite as SrtpSuiteName);
        if (key.mki !== undefined) fail(k, m, "a=crypto with an MKI is not supported");
        s.srtp = { suite: c.suite as SrtpSuiteName, masterKey: key.masterKey, masterSalt: key.masterSalt };
      } catch (e) {
        if (e instanceof BadFileError && e.message.startsWith(`Cannot read SDP ${name}`)) throw e;
        fail(k, m, `a=crypto: ${(e as Error).message.replace(/^Cannot parse SDES key params: /, "")}`);
      }
    }
    out.push(s);
  });
  if (out.length === 0) throw new BadFileError(`Cannot read SDP ${name}: no usable RTP stream (need an m= line with VP8, VP9 or Opus and a non-zero port)`);
  return out;
}
