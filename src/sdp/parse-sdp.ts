/**
 * Reads SDP text (RFC 8866) into a SessionDescription. Strict where rtcpipe depends on a value
 * (v, o, s, c, t, m and the rtpmap/fmtp/ssrc/crypto/rtcp attributes), tolerant elsewhere:
 * i=, u=, e=, p=, b=, r=, z=, k= lines are skipped, unknown attributes are kept as they are.
 * Accepts CRLF or LF line ends. Every problem throws BadFileError
 * "Cannot read SDP <name>: line N: reason".
 */
import { BadFileError } from "../errors.js";
import type {
  SdpConnection,
  SdpDirection,
  SdpMediaDescription,
  SdpOrigin,
  SessionDescription,
} from "./session-description.js";

/** Largest SDP accepted, in characters. */
export const SDP_MAX_CHARS = 256 * 1024;

const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const ADDRESS = /^[0-9A-Za-z.:\-_%]+$/;
const DIRECTIONS: readonly SdpDirection[] = ["sendrecv", "sendonly", "recvonly", "inactive"];
const SKIPPED = new Set(["i", "u", "e", "p", "b", "r", "z", "k"]);

export interface ParseSdpOptions {
  /** Names the input in error messages (a file name). Default "text". */
  name?: string;
}

class Reader {
  constructor(readonly name: string) {}
  line = 0;
  fail(reason: string): never {
    throw new BadFileError(`Cannot read SDP ${this.name}: ${this.line > 0 ? `line ${this.line}: ` : ""}${reason}`);
  }
}

function int(r: Reader, what: string, text: string, min: number, max: number): number {
  if (!/^\d{1,10}$/.test(text)) r.fail(`${what} ${JSON.stringify(text)} is not a number from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) r.fail(`${what} ${n} is outside ${min}..${max}`);
  return n;
}

function parseConnection(r: Reader, value: string): SdpConnection {
  const f = value.split(" ");
  if (f.length !== 3 || f[0] !== "IN") r.fail(`c= must be "IN IP4 <address>" or "IN IP6 <address>", got ${JSON.stringify(value)}`);
  const addrType = f[1];
  if (addrType !== "IP4" && addrType !== "IP6") r.fail(`c= address type ${JSON.stringify(addrType)} is not IP4 or IP6`);
  const address = f[2]!;
  if (address.includes("/")) r.fail(`c= multicast address ${JSON.stringify(address)} (TTL/count) is not supported`);
  if (!ADDRESS.test(address)) r.fail(`c= address ${JSON.stringify(address)} is not a host or address`);
  return { addrType, address };
}

function parseOrigin(r: Reader, value: string): SdpOrigin {
  const f = value.split(" ");
  if (f.length !== 6) r.fail(`o= needs 6 fields "<username> <sess-id> <sess-version> IN IP4 <address>", got ${f.length}`);
  const [username, sessionId, sessionVersion, netType, addrType, address] = f as [string, string, string, string, string, string];
  for (const [what, v] of [["username", username], ["session id", sessionId], ["session version", sessionVersion]] as const) {
    if (!TOKEN.test(v)) r.fail(`o= ${what} ${JSON.stringify(v)} is not a token`);
  }
  if (!ADDRESS.test(address)) r.fail(`o= address ${JSON.stringify(address)} is not an address or host name`);
  if (netType !== "IN") r.fail(`o= network type ${JSON.stringify(netType)} is not IN`);
  if (addrType !== "IP4" && addrType !== "IP6") r.fail(`o= address type ${JSON.stringify(addrType)} is not IP4 or IP6`);
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

function parseMediaLine(r: Reader, value: string): SdpMediaDescription {
  const f = value.split(" ");
  if (f.length < 4) r.fail(`m= needs "<media> <port> <proto> <fmt> ...", got ${JSON.stringify(value)}`);
  const [mediaType, portText, protocol, ...formats] = f as [string, string, string, ...string[]];
  if (!TOKEN.test(mediaType)) r.fail(`m= media ${JSON.stringify(mediaType)} is not a token`);
  const pm = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(portText);
  if (!pm) r.fail(`m= port ${JSON.stringify(portText)} is not a port number`);
  const port = int(r, "m= port", pm[1]!, 0, 65535);
  if (pm[2] !== undefined && Number(pm[2]) !== 1) r.fail(`m= port count ${pm[2]} is not supported (one port per stream)`);
  if (!protocol.split("/").every((t) => TOKEN.test(t))) r.fail(`m= protocol ${JSON.stringify(protocol)} is not "token/token"`);
  const rtp = protocol.startsWith("RTP/") || protocol.includes("/RTP/");
  for (const fmt of formats) {
    if (!TOKEN.test(fmt)) r.fail(`m= format ${JSON.stringify(fmt)} is not a token`);
    if (rtp) int(r, "m= payload type", fmt, 0, 127);
  }
  return { media: mediaType, port, protocol, formats, rtpmaps: [], fmtps: [], ssrcs: [], crypto: [], attributes: [] };
}

function payloadTypeOf(r: Reader, m: SdpMediaDescription, attr: string, text: string): number {
  const pt = int(r, `a=${attr} payload type`, text, 0, 127);
  if (!m.formats.includes(String(pt))) r.fail(`a=${attr} payload type ${pt} is not in the m= line (${m.formats.join(" ")})`);
  return pt;
}

function parseMediaAttribute(r: Reader, m: SdpMediaDescription, name: string, value: string | undefined): void {
  const need = (): string => {
    if (value === undefined || value === "") r.fail(`a=${name} needs a value`);
    return value;
  };
  switch (name) {
    case "rtpmap": {
      const v = need();
      const mm = /^(\S+) ([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(v);
      if (!mm) r.fail(`a=rtpmap must be "<pt> <encoding>/<clock rate>[/<channels>]", got ${JSON.stringify(v)}`);
      const payloadType = payloadTypeOf(r, m, name, mm[1]!);
      if (m.rtpmaps.some((x) => x.payloadType === payloadType)) r.fail(`a=rtpmap for payload type ${payloadType} is repeated`);
      if (!TOKEN.test(mm[2]!)) r.fail(`a=rtpmap encoding name ${JSON.stringify(mm[2])} is not a token`);
      const clockRate = int(r, "a=rtpmap clock rate", mm[3]!, 1, 10_000_000);
      const entry = { payloadType, encodingName: mm[2]!, clockRate } as SdpMediaDescription["rtpmaps"][number];
      if (mm[4] !== undefined) entry.channels = int(r, "a=rtpmap channels", mm[4], 1, 255);
      m.rtpmaps.push(entry);
      return;
    }
    case "fmtp": {
      const v = need();
      const sp = v.indexOf(" ");
      if (sp <= 0) r.fail(`a=fmtp must be "<pt> <parameters>", got ${JSON.stringify(v)}`);
      const payloadType = payloadTypeOf(r, m, name, v.slice(0, sp));
      m.fmtps.push({ payloadType, parameters: v.slice(sp + 1) });
      return;
    }
    case "ssrc": {
      const v = need();
      const mm = /^(\d{1,10}) ([!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+)(?::(.*))?$/.exec(v);
      if (!mm) r.fail(`a=ssrc must be "<ssrc> <attribute>[:<value>]", got ${JSON.stringify(v)}`);
      const entry: SdpMediaDescription["ssrcs"][number] = { ssrc: int(r, "a=ssrc SSRC", mm[1]!, 0, 0xffffffff), attribute: mm[2]! };
      if (mm[3] !== undefined) entry.value = mm[3];
      m.ssrcs.push(entry);
      return;
    }
    case "crypto": {
      const v = need();
      const f = v.split(" ").filter((x) => x !== "");
      if (f.length < 3) r.fail(`a=crypto must be "<tag> <suite> <key-params> [<session-params>]", got ${JSON.stringify(v)}`);
      const tag = int(r, "a=crypto tag", f[0]!, 0, 999_999_999);
      if (m.crypto.some((c) => c.tag === tag)) r.fail(`a=crypto tag ${tag} is repeated`);
      if (!TOKEN.test(f[1]!)) r.fail(`a=crypto suite ${JSON.stringify(f[1])} is not a token`);
      if (!/^[a-z]+:\S+$/.test(f[2]!)) r.fail(`a=crypto key params ${JSON.stringify(f[2])} are not "<method>:<info>", e.g. inline:BASE64`);
      m.crypto.push({ tag, suite: f[1]!, keyParams: f[2]!, sessionParams: f.slice(3) });
      return;
    }
    case "rtcp": {
      const v = need();
      const mm = /^(\d{1,5})(?: IN IP[46] \S+)?$/.exec(v);
      if (!mm) r.fail(`a=rtcp must be "<port> [IN IP4 <address>]", got ${JSON.stringify(v)}`);
      m.rtcpPort = int(r, "a=rtcp port", mm[1]!, 0, 65535);
      return;
    }
    default:
      if (value === undefined && (DIRECTIONS as readonly string[]).includes(name)) {
        if (m.direction !== undefined) r.fail(`a=${name}: the direction is already ${m.direction}`);
        m.direction = name as SdpDirection;
        return;
      }
      m.attributes.push(value === undefined ? { name } : { name, value });
  }
}

/** Parses SDP text. Throws BadFileError naming the line and the problem. */
export function parseSdp(sdp: string, options: ParseSdpOptions = {}): SessionDescription {
  const r: Reader = new Reader(options.name ?? "text");
  if (typeof sdp !== "string") r.fail("the input is not text");
  if (sdp.length > SDP_MAX_CHARS) r.fail(`${sdp.length} characters is more than the ${SDP_MAX_CHARS} allowed`);
  const lines = sdp.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let connection: SdpConnection | undefined;
  let timing: { start: string; stop: string } | undefined;
  let direction: SdpDirection | undefined;
  const attributes: SessionDescription["attributes"] = [];
  const media: SdpMediaDescription[] = [];
  let current: SdpMediaDescription | undefined;

  for (let i = 0; i < lines.length; i++) {
    r.line = i + 1;
    const line = lines[i]!;
    if (line === "") r.fail("empty line (SDP has none, RFC 8866 5)");
    if (line.length < 2 || line[1] !== "=" || !/^[a-z]$/.test(line[0]!)) r.fail(`expected "<letter>=<value>", got ${JSON.stringify(line.slice(0, 40))}`);
    if (/[\0\r]/.test(line)) r.fail("contains a NUL or CR character");
    const type = line[0]!;
    const value = line.slice(2);
    if (i === 0) {
      if (type !== "v") r.fail(`the first line must be v=0, got ${type}=`);
      if (value !== "0") r.fail(`version ${JSON.stringify(value)} is not 0`);
      continue;
    }
    switch (type) {
      case "v":
        r.fail("v= appears twice");
        break;
      case "o":
        if (origin || current) r.fail("o= must come once, right after v=");
        origin = parseOrigin(r, value);
        break;
      case "s":
        if (!origin) r.fail("s= must follow o=");
        if (sessionName !== undefined || current) r.fail("s= must come once, before the media");
        if (value === "") r.fail("s= is empty (use s=- or s= followed by a space)");
        sessionName = value;
        break;
      case "c":
        if (!origin) r.fail("c= before o=");
        if (current) {
          if (current.connection) r.fail("c= repeated in one media section");
          current.connection = parseConnection(r, value);
        } else {
          if (connection) r.fail("c= repeated at session level");
          connection = parseConnection(r, value);
        }
        break;
      case "t": {
        if (current) r.fail("t= inside a media section");
        if (sessionName === undefined) r.fail("t= before s=");
        const mm = /^(\d{1,20}) (\d{1,20})$/.exec(value);
        if (!mm) r.fail(`t= must be "<start> <stop>" (numbers), got ${JSON.stringify(value)}`);
        timing ??= { start: mm[1]!, stop: mm[2]! };
        break;
      }
      case "m":
        if (!timing) r.fail("m= before t= (or before o=/s=)");
        current = parseMediaLine(r, value);
        media.push(current);
        break;
      case "a": {
        if (!timing && !current) r.fail("a= before t=");
        if (value === "") r.fail("a= is empty");
        const colon = value.indexOf(":");
        const name = colon < 0 ? value : value.slice(0, colon);
        const v = colon < 0 ? undefined : value.slice(colon + 1);
        if (!TOKEN.test(name)) r.fail(`attribute name ${JSON.stringify(name)} is not a token`);
        if (current) parseMediaAttribute(r, current, name, v);
        else if (v === undefined && (DIRECTIONS as readonly string[]).includes(name)) {
          if (direction !== undefined) r.fail(`a=${name}: the direction is already ${direction}`);
          direction = name as SdpDirection;
        } else attributes.push(v === undefined ? { name } : { name, value: v });
        break;
      }
      default:
        if (!SKIPPED.has(type)) r.fail(`unknown line type ${type}=`);
    }
  }
  r.line = 0;
  if (lines.length === 0) r.fail("it is empty");
  if (!origin) r.fail("no o= line");
  if (sessionName === undefined) r.fail("no s= line");
  if (!timing) r.fail("no t= line");
  for (const [k, m] of media.entries()) {
    if (!m.connection && !connection) r.fail(`media section ${k + 1} (${m.media}) has no c= line and there is none at session level`);
  }
  const desc: SessionDescription = { origin, sessionName, timing, attributes, media };
  if (connection) desc.connection = connection;
  if (direction) desc.direction = direction;
  return desc;
}
