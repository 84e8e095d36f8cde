/**
 * Writes a SessionDescription as SDP text (RFC 8866 5: fixed line order v, o, s, c, t, a, then
 * per media m, c, a), with CRLF line ends. The text is what ffmpeg's SDP demuxer and our
 * parser read back.
 */
import { InvalidOptionError } from "../errors.js";
import type { SdpAttribute, SdpConnection, SdpMediaDescription, SessionDescription } from "./session-description.js";

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const NO_CRLF = /^[^\r\n\0]*$/;

function bad(what: string, value: unknown, allowed: string): never {
  throw new InvalidOptionError(`Cannot write SDP ${what}=${JSON.stringify(value)}: allowed is ${allowed}`);
}

function text(what: string, value: string): string {
  if (typeof value !== "string" || !NO_CRLF.test(value)) bad(what, value, "text without CR, LF or NUL");
  return value;
}

function token(what: string, value: string): string {
  if (typeof value !== "string" || !TOKEN.test(value)) bad(what, value, "a token (letters, digits and !#$%&'*+-.^_`{|}~)");
  return value;
}

function visible(what: string, value: string): string {
  if (typeof value !== "string" || !/^[\x21-\x7e]+$/.test(value)) bad(what, value, "visible ASCII without spaces");
  return value;
}

const ADDRESS = /^[0-9A-Za-z.:\-_%]+$/;

function address(what: string, value: string): string {
  if (typeof value !== "string" || !ADDRESS.test(value)) bad(what, value, "an IPv4/IPv6 address or host name");
  return value;
}

function protocol(value: string): string {
  if (typeof value !== "string" || !value.split("/").every((t) => TOKEN.test(t))) bad("protocol", value, "tokens joined by '/', e.g. RTP/AVP");
  return value;
}

function port(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) bad(what, value, "an integer from 0 to 65535");
  return value;
}

function connection(c: SdpConnection): string {
  if (c.addrType !== "IP4" && c.addrType !== "IP6") bad("addrType", c.addrType, "IP4 or IP6");
  return `c=IN ${c.addrType} ${address("connection address", c.address)}`;
}

function attribute(a: SdpAttribute): string {
  const name = token("attribute name", a.name);
  return a.value === undefined ? `a=${name}` : `a=${name}:${text(`a=${name} value`, a.value)}`;
}

function media(m: SdpMediaDescription): string[] {
  const lines: string[] = [];
  if (m.formats.length === 0) bad("m= formats", m.formats, "at least one format");
  lines.push(`m=${token("media", m.media)} ${port("port", m.port)} ${protocol(m.protocol)} ${m.formats.map((f) => token("format", f)).join(" ")}`);
  if (m.connection) lines.push(connection(m.connection));
  if (m.rtcpPort !== undefined) lines.push(`a=rtcp:${port("rtcpPort", m.rtcpPort)}`);
  for (const r of m.rtpmaps) {
    if (!Number.isInteger(r.payloadType) || r.payloadType < 0 || r.payloadType > 127) bad("rtpmap payload type", r.payloadType, "an integer from 0 to 127");
    if (!Number.isInteger(r.clockRate) || r.clockRate < 1) bad("rtpmap clock rate", r.clockRate, "a positive integer");
    const ch = r.channels === undefined ? "" : `/${r.channels}`;
    lines.push(`a=rtpmap:${r.payloadType} ${token("encoding name", r.encodingName)}/${r.clockRate}${ch}`);
  }
  for (const f of m.fmtps) lines.push(`a=fmtp:${f.payloadType} ${text("fmtp parameters", f.parameters)}`);
  for (const c of m.crypto) {
    const extra = c.sessionParams.length > 0 ? ` ${c.sessionParams.map((p) => visible("crypto session parameter", p)).join(" ")}` : "";
    if (!Number.isInteger(c.tag) || c.tag < 0 || c.tag > 999_999_999) bad("crypto tag", c.tag, "an integer from 0 to 999999999");
    lines.push(`a=crypto:${c.tag} ${token("crypto suite", c.suite)} ${visible("crypto key params", c.keyParams)}${extra}`);
  }
  if (m.direction) lines.push(`a=${m.direction}`);
  for (const s of m.ssrcs) {
    if (!Number.isInteger(s.ssrc) || s.ssrc < 0 || s.ssrc > 0xffffffff) bad("ssrc", s.ssrc, "an integer from 0 to 4294967295");
    const v = s.value === undefined ? "" : `:${text("ssrc attribute value", s.value)}`;
    lines.push(`a=ssrc:${s.ssrc} ${token("ssrc attribute", s.attribute)}${v}`);
  }
  for (const a of m.attributes) lines.push(attribute(a));
  return lines;
}

/** SDP text of `desc`, lines ended by CRLF. Throws InvalidOptionError on values that cannot be written. */
export function formatSdp(desc: SessionDescription): string {
  const o = desc.origin;
  const lines = [
    "v=0",
    `o=${token("origin username", o.username)} ${token("session id", o.sessionId)} ${token("session version", o.sessionVersion)} IN ${o.addrType} ${address("origin address", o.address)}`,
    `s=${text("session name", desc.sessionName === "" ? " " : desc.sessionName)}`,
  ];
  if (desc.connection) lines.push(connection(desc.connection));
  lines.push(`t=${token("start time", desc.timing.start)} ${token("stop time", desc.timing.stop)}`);
  if (desc.direction) lines.push(`a=${desc.direction}`);
  for (const a of desc.attributes) lines.push(attribute(a));
  for (const m of desc.media) lines.push(...media(m));
  return lines.join("\r\n") + "\r\n";
}
