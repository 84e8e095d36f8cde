import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { formatCandidateSdp, parseCandidateSdp } from "../../src/ice/candidate-sdp.js";
import { candidatePriority } from "../../src/ice/ice-candidate.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("a=candidate (RFC 8839 5.1)", () => {
  it("parses the RFC 8839 5.1 host example", () => {
    const c = parseCandidateSdp("a=candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host");
    expect(c).toEqual({ foundation: "1", component: 1, transport: "udp", priority: 2130706431, address: { family: 4, address: "203.0.113.141", port: 8998 }, type: "host" });
    expect(formatCandidateSdp(c)).toBe("candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host");
  });

  it("parses the RFC 8839 5.1 server-reflexive example with raddr/rport", () => {
    const c = parseCandidateSdp("candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
    expect(c.type).toBe("srflx");
    expect(c.related).toEqual({ family: 4, address: "10.0.1.1", port: 8998 });
    expect(formatCandidateSdp(c)).toBe("candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998");
  });

  it("keeps extension attributes and IPv6 addresses (RFC 8839 5.1 extension-att-name/value)", () => {
    const text = "candidate:3+/x 1 udp 16777215 2001:db8::1 3478 typ relay raddr 2001:db8::2 rport 50000 generation 0 network-id 1";
    const c = parseCandidateSdp(text);
    expect(c.address.family).toBe(6);
    expect(c.extensions).toEqual([["generation", "0"], ["network-id", "1"]]);
    expect(parseCandidateSdp(formatCandidateSdp(c))).toEqual(c);
  });

  it.each([
    ["too few fields", "candidate:1 1 UDP 1 1.2.3.4 5 typ"],
    ["priority 0", "candidate:1 1 UDP 0 1.2.3.4 5 typ host"],
    ["priority above 2^31-1", "candidate:1 1 UDP 2147483648 1.2.3.4 5 typ host"],
    ["component 0", "candidate:1 0 UDP 1 1.2.3.4 5 typ host"],
    ["port 65536", "candidate:1 1 UDP 1 1.2.3.4 65536 typ host"],
    ["unknown type", "candidate:1 1 UDP 1 1.2.3.4 5 typ bogus"],
    ["no typ", "candidate:1 1 UDP 1 1.2.3.4 5 xyz host"],
    ["mDNS name", "candidate:1 1 UDP 1 abcd-1234.local 5 typ host"],
    ["bad IPv4", "candidate:1 1 UDP 1 1.2.3.400 5 typ host"],
    ["foundation too long", `candidate:${"a".repeat(33)} 1 UDP 1 1.2.3.4 5 typ host`],
    ["dangling extension", "candidate:1 1 UDP 1 1.2.3.4 5 typ host generation"],
    ["rport without raddr", "candidate:1 1 UDP 1 1.2.3.4 5 typ srflx rport 9"],
  ])("rejects %s with MalformedPacketError", (_what, text) => {
    expect(() => parseCandidateSdp(text)).toThrow(MalformedPacketError);
    expect(() => parseCandidateSdp(text)).toThrow(/^Cannot parse candidate attribute: /);
  });

  it("fuzz: mutated and random attributes throw MalformedPacketError or round-trip (seeded)", () => {
    const types = ["host", "srflx", "prflx", "relay"] as const;
    const result = fuzz(
      {
        parse: (b) => parseCandidateSdp(dec.decode(b)),
        serialize: (c) => enc.encode(formatCandidateSdp(c)),
        valid: (rng: SeededRandom) => {
          const type = types[rng.int(0, 3)]!;
          const ip = rng.int(0, 1) ? `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}` : `2001:db8::${rng.int(1, 0xffff).toString(16)}`;
          let s = `candidate:${rng.int(0, 99999)} 1 UDP ${candidatePriority(type, rng.int(0, 65535))} ${ip} ${rng.int(0, 65535)} typ ${type}`;
          if (type !== "host") s += ` raddr ${ip.includes(":") ? "2001:db8::9" : "192.168.1.2"} rport ${rng.int(0, 65535)}`;
          if (rng.int(0, 1)) s += ` generation ${rng.int(0, 9)}`;
          return enc.encode(s);
        },
      },
      20_000,
      8839,
    );
    expect(result.parsed).toBeGreaterThan(5000);
    expect(result.rejected).toBeGreaterThan(5000);
  });
});
