/**
 * The SDP `a=candidate` attribute (RFC 8839 5.1), the form candidates travel in signaling:
 *
 * ```
 * candidate-attribute = "candidate" ":" foundation SP component-id SP transport SP priority SP
 *                       connection-address SP port SP "typ" SP cand-type
 *                       [SP "raddr" SP connection-address] [SP "rport" SP port]
 *                       *(SP extension-att-name SP extension-att-value)
 * ```
 * The parser takes the attribute with or without the leading "a=" and "candidate:". Connection
 * addresses must be IP literals: FQDN and mDNS (.local) names are refused, this agent does not
 * resolve names.
 */
import { MalformedPacketError } from "../errors.js";
import { transportAddress, type TransportAddress } from "../stun/transport-address.js";
import type { IceCandidate, IceCandidateType } from "./ice-candidate.js";

const ICE_CHARS = /^[A-Za-z0-9+/]{1,32}$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+$/;
const TYPES: readonly IceCandidateType[] = ["host", "srflx", "prflx", "relay"];

function bad(reason: string): MalformedPacketError {
  return new MalformedPacketError(`Cannot parse candidate attribute: ${reason}`);
}

function parsePort(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(`${what} ${JSON.stringify(text)} is not a port 0-65535`);
  const v = Number(text);
  if (v > 65535) throw bad(`${what} ${v} is not a port 0-65535`);
  return v;
}

function parseAddress(text: string, port: number, what: string): TransportAddress {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) throw bad(`${what} ${JSON.stringify(text.slice(0, 64))} is not an IP literal (FQDN and mDNS names are not supported)`);
  try {
    return transportAddress(text, port);
  } catch {
    throw bad(`${what} ${JSON.stringify(text.slice(0, 64))} is not an IPv4 or IPv6 address`);
  }
}

/** Parses one candidate attribute (RFC 8839 5.1). Throws MalformedPacketError. */
export function parseCandidateSdp(text: string): IceCandidate {
  if (typeof text !== "string") throw bad("not a string");
  if (text.length > 1024) throw bad(`${text.length} characters, at most 1024`);
  let s = text.trim();
  if (s.startsWith("a=")) s = s.slice(2);
  if (s.startsWith("candidate:")) s = s.slice(10);
  const f = s.split(" ");
  if (f.length < 8) throw bad(`${f.length} fields, need at least 8 (foundation component transport priority address port typ type)`);
  const [foundation, componentText, transport, priorityText, addressText, portText, typ, typeText] = f as [string, string, string, string, string, string, string, string];
  if (!ICE_CHARS.test(foundation)) throw bad(`foundation ${JSON.stringify(foundation.slice(0, 40))} is not 1-32 ice-chars`);
  if (!/^\d{1,3}$/.test(componentText) || Number(componentText) < 1 || Number(componentText) > 256) throw bad(`component ${JSON.stringify(componentText)} is not 1-256`);
  if (!TOKEN.test(transport)) throw bad(`transport ${JSON.stringify(transport.slice(0, 40))} is not a token`);
  if (!/^\d{1,10}$/.test(priorityText) || Number(priorityText) < 1 || Number(priorityText) > 2 ** 31 - 1) throw bad(`priority ${JSON.stringify(priorityText)} is not 1 to 2^31-1`);
  const port = parsePort(portText, "port");
  const address = parseAddress(addressText, port, "connection address");
  if (typ !== "typ") throw bad(`expected "typ" as the 7th field, got ${JSON.stringify(typ.slice(0, 40))}`);
  if (!(TYPES as readonly string[]).includes(typeText)) throw bad(`candidate type ${JSON.stringify(typeText.slice(0, 40))}; allowed are ${TYPES.join(", ")}`);
  const c: IceCandidate = { foundation, component: Number(componentText), transport: transport.toLowerCase(), priority: Number(priorityText), address, type: typeText as IceCandidateType };
  let i = 8;
  let raddr: string | undefined;
  let rport: number | undefined;
  if (f[i] === "raddr") {
    if (f[i + 1] === undefined) throw bad("raddr without an address");
    raddr = f[i + 1];
    i += 2;
  }
  if (f[i] === "rport") {
    if (f[i + 1] === undefined) throw bad("rport without a port");
    rport = parsePort(f[i + 1]!, "rport");
    i += 2;
  }
  if (raddr !== undefined) c.related = parseAddress(raddr, rport ?? 0, "raddr");
  else if (rport !== undefined) throw bad("rport without raddr");
  const ext: [string, string][] = [];
  for (; i < f.length; i += 2) {
    const name = f[i]!;
    const value = f[i + 1];
    if (value === undefined) throw bad(`extension attribute ${JSON.stringify(name.slice(0, 40))} has no value`);
    if (!TOKEN.test(name)) throw bad(`extension attribute name ${JSON.stringify(name.slice(0, 40))} is not a token`);
    if (value.length === 0 || /[\0\r\n]/.test(value)) throw bad(`extension attribute ${name} has an empty or invalid value`);
    ext.push([name, value]);
  }
  if (ext.length > 0) c.extensions = ext;
  return c;
}

/** The candidate as an attribute value, "candidate:..." (without "a="), RFC 8839 5.1. */
export function formatCandidateSdp(c: IceCandidate): string {
  let s = `candidate:${c.foundation} ${c.component} ${c.transport.toUpperCase()} ${c.priority} ${c.address.address} ${c.address.port} typ ${c.type}`;
  if (c.related) s += ` raddr ${c.related.address} rport ${c.related.port}`;
  for (const [n, v] of c.extensions ?? []) s += ` ${n} ${v}`;
  return s;
}
