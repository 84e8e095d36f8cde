import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { decodeMessageType, encodeMessageType, StunClass, StunMethod } from "../../src/stun/stun-message-type.js";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { shortTermKey, longTermKey } from "../../src/stun/stun-credentials.js";
import { PasswordAlgorithm } from "../../src/stun/password-algorithms.js";
import { crc32 } from "../../src/stun/fingerprint.js";
import { isStunPacket } from "../../src/stun/is-stun-packet.js";
import { ipToBytes, ipToText, transportAddress } from "../../src/stun/transport-address.js";
import { userhash } from "../../src/stun/userhash.js";

const TID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
const msg = (cls: StunClass = StunClass.request, method: number = StunMethod.binding): StunMessage => new StunMessage({ messageClass: cls, method, transactionId: TID.slice() });

describe("STUN message type (RFC 8489 5)", () => {
  it.each([
    [StunMethod.binding, StunClass.request, 0x0001],
    [StunMethod.binding, StunClass.indication, 0x0011],
    [StunMethod.binding, StunClass.successResponse, 0x0101],
    [StunMethod.binding, StunClass.errorResponse, 0x0111],
    [StunMethod.allocate, StunClass.request, 0x0003],
    [StunMethod.allocate, StunClass.errorResponse, 0x0113],
    [StunMethod.send, StunClass.indication, 0x0016],
    [StunMethod.data, StunClass.indication, 0x0017],
    [StunMethod.channelBind, StunClass.successResponse, 0x0109],
    [0xfff, StunClass.errorResponse, 0x3fff],
  ])("method 0x%s class %s is type 0x%s and back", (method, cls, type) => {
    expect(encodeMessageType(method, cls as StunClass)).toBe(type);
    expect(decodeMessageType(type)).toEqual({ method, messageClass: cls });
  });
});

describe("STUN attributes", () => {
  it("RFC 8489 14.6: MESSAGE-INTEGRITY-SHA256 verifies, and wins over MESSAGE-INTEGRITY when both are present", () => {
    const key = longTermKey("user", "realm", "pass", PasswordAlgorithm.sha256);
    expect(key.length).toBe(32);
    const bytes = msg().addText(T.username, "user").serialize({ integritySha256Key: key, fingerprint: true });
    const m = StunMessage.parse(bytes);
    expect(m.hasMessageIntegritySha256).toBe(true);
    expect(m.verifyIntegrity(key)).toBe(true);
    expect(m.verifyIntegrity(longTermKey("user", "realm", "pasS", PasswordAlgorithm.sha256))).toBe(false);
    const other = shortTermKey("other");
    const both = StunMessage.parse(msg().serialize({ integrityKey: other, integritySha256Key: key }));
    expect(both.hasMessageIntegrity && both.hasMessageIntegritySha256).toBe(true);
    expect(both.verifyIntegrity(key)).toBe(true);
    expect(both.verifyIntegrity(other)).toBe(false);
  });

  it("RFC 8489 14.5: attributes after MESSAGE-INTEGRITY are ignored, except FINGERPRINT", () => {
    const key = shortTermKey("pw");
    const base = msg().addText(T.software, "x").serialize({ integrityKey: key });
    // Append a SOFTWARE attribute after MESSAGE-INTEGRITY, fix the length.
    const extra = Uint8Array.of(0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64);
    const b = new Uint8Array(base.length + extra.length);
    b.set(base);
    b.set(extra, base.length);
    b[3] = b.length - 20;
    const m = StunMessage.parse(b);
    expect(m.attributes.map((a) => a.type)).toEqual([T.software]);
    expect(m.getText(T.software)).toBe("x");
    expect(m.verifyIntegrity(key)).toBe(true);
  });

  it("RFC 8489 14.7: FINGERPRINT is CRC-32 xor 0x5354554e and must be last", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926); // the CRC-32 check value
    const b = msg().serialize({ fingerprint: true });
    const bad = new Uint8Array(b.length + 8);
    bad.set(b);
    bad.set(Uint8Array.of(0x80, 0x22, 0, 4, 1, 2, 3, 4), b.length);
    bad[3] = bad.length - 20;
    expect(() => StunMessage.parse(bad)).toThrow(/FINGERPRINT|after FINGERPRINT/);
  });

  it("RFC 8489 6.3.1: unknown comprehension-required attributes are reported, unknown optional ones kept", () => {
    const b = msg().add(0x7777, Uint8Array.of(1, 2, 3)).add(0xc001, Uint8Array.of(4)).serialize();
    const m = StunMessage.parse(b);
    expect(m.unknownComprehensionRequired).toEqual([0x7777]);
    expect(m.get(0xc001)).toEqual(Uint8Array.of(4));
    expect(m.get(0x7777)).toEqual(Uint8Array.of(1, 2, 3));
    // A 420 response names them in UNKNOWN-ATTRIBUTES (14.13).
    const r = StunMessage.parse(msg(StunClass.errorResponse).addErrorCode({ code: 420, reason: "Unknown Attribute" }).addUnknownAttributes(m.unknownComprehensionRequired).serialize());
    expect(r.errorCode).toEqual({ code: 420, reason: "Unknown Attribute" });
    expect(r.unknownAttributes).toEqual([0x7777]);
  });

  it("RFC 8489 14.8: ERROR-CODE round-trips class and number; class outside 3-6 is malformed", () => {
    for (const code of [300, 401, 438, 486, 508, 699]) {
      const m = StunMessage.parse(msg(StunClass.errorResponse, StunMethod.allocate).addErrorCode({ code, reason: "r" }).serialize());
      expect(m.errorCode?.code).toBe(code);
    }
    const bad = msg(StunClass.errorResponse).add(T.errorCode, Uint8Array.of(0, 0, 2, 0)).serialize();
    expect(() => StunMessage.parse(bad)).toThrow(MalformedPacketError);
  });

  it("RFC 8489 14.2: XOR-MAPPED-ADDRESS round-trips IPv4 and IPv6; MAPPED-ADDRESS (14.1) and ALTERNATE-SERVER (14.15) plain", () => {
    const v4 = transportAddress("203.0.113.9", 61000);
    const v6 = transportAddress("2001:db8::1", 443);
    const m = StunMessage.parse(
      msg(StunClass.successResponse).addXorAddress(T.xorMappedAddress, v6).addAddress(T.mappedAddress, v4).addAddress(T.alternateServer, v6).addXorAddress(T.xorRelayedAddress, v4).serialize(),
    );
    expect(m.getXorAddress()).toEqual(v6);
    expect(m.getAddress()).toEqual(v4);
    expect(m.getAddress(T.alternateServer)).toEqual(v6);
    expect(m.getXorAddress(T.xorRelayedAddress)).toEqual(v4);
    // The XOR really changes the bytes on the wire.
    const raw = m.get(T.xorRelayedAddress)!;
    expect(Array.from(raw.subarray(4))).not.toEqual([203, 0, 113, 9]);
  });

  it("RFC 8445 16.1: PRIORITY, USE-CANDIDATE, ICE-CONTROLLING round-trip", () => {
    const m = StunMessage.parse(msg().addUint32(T.priority, 0x7e7f00ff).add(T.useCandidate, new Uint8Array(0)).addTieBreaker(T.iceControlling, 0xfedcba9876543210n).serialize());
    expect(m.getUint32(T.priority)).toBe(0x7e7f00ff);
    expect(m.has(T.useCandidate)).toBe(true);
    expect(m.getTieBreaker(T.iceControlling)).toBe(0xfedcba9876543210n);
  });

  it("RFC 8489 14.11/14.4: PASSWORD-ALGORITHMS round-trip; USERHASH is SHA-256 of user:realm", () => {
    const algs = [
      { algorithm: PasswordAlgorithm.sha256, parameters: new Uint8Array(0) },
      { algorithm: PasswordAlgorithm.md5, parameters: Uint8Array.of(1, 2, 3) },
    ];
    const m = StunMessage.parse(msg().addPasswordAlgorithms(algs).add(T.userhash, userhash("u", "r")).serialize());
    expect(m.passwordAlgorithms).toEqual(algs);
    expect(m.get(T.userhash)!.length).toBe(32);
    expect(userhash("u", "r")).not.toEqual(userhash("u", "s"));
  });

  it("RFC 8489 9.2.2: the long-term key is MD5(user:realm:pass) (16 bytes), SHA-256 variant 32 bytes", () => {
    const md5 = longTermKey("user", "realm", "pass");
    expect(Buffer.from(md5).toString("hex")).toBe("8493fbc53ba582fb4c044c456bdc40eb"); // md5("user:realm:pass")
    expect(longTermKey("user", "realm", "pass", PasswordAlgorithm.sha256).length).toBe(32);
  });

  it("rejects bad headers with MalformedPacketError naming the problem", () => {
    const good = msg().serialize();
    const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
      ["short", (b) => b.subarray(0, 19), /header alone/],
      ["top bits", (b) => ((b[0] = 0x40), b), /top bits/],
      ["cookie", (b) => ((b[4] = 0), b), /magic cookie/],
      ["length not /4", (b) => ((b[3] = 2), b), /multiple of 4/],
      ["length mismatch", (b) => ((b[3] = 4), b), /length field/],
    ];
    for (const [, f, re] of cases) expect(() => StunMessage.parse(f(good.slice()))).toThrow(re);
  });

  it("RFC 7983 7: isStunPacket wants a first byte 0-3 and the magic cookie", () => {
    const b = msg().serialize();
    expect(isStunPacket(b)).toBe(true);
    const rtp = b.slice();
    rtp[0] = 0x80;
    expect(isStunPacket(rtp)).toBe(false);
    const noCookie = b.slice();
    noCookie[7] = 0;
    expect(isStunPacket(noCookie)).toBe(false);
    expect(isStunPacket(b.subarray(0, 10))).toBe(false);
  });
});

describe("IP address text (RFC 4291 2.2, RFC 5952 4)", () => {
  it.each([
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"],
  ])("%s -> %s", (text, canonical) => {
    const b = ipToBytes(text);
    expect(b.length).toBe(16);
    expect(ipToText(b)).toBe(canonical);
  });
  it.each(["1.2.3", "256.1.1.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "g::1", ""])("rejects %j", (text) => {
    expect(() => ipToBytes(text)).toThrow(MalformedPacketError);
  });
});

describe("HMAC-SHA1 for MESSAGE-INTEGRITY (RFC 8489 14.5)", () => {
  it("matches node:crypto createHmac for keys of 1-100 bytes (the cached fast path and the long-key fallback)", async () => {
    const { createHmac } = await import("node:crypto");
    const { hmacSha1 } = await import("../../src/stun/message-integrity.js");
    for (let len = 1; len <= 100; len += 3) {
      const key = Uint8Array.from({ length: len }, (_, i) => (i * 37 + len) & 0xff);
      for (const size of [0, 20, 63, 64, 65, 200]) {
        const data = Uint8Array.from({ length: size }, (_, i) => (i * 11 + len) & 0xff);
        expect(Buffer.from(hmacSha1(key, data)).toString("hex")).toBe(createHmac("sha1", key).update(data).digest("hex"));
      }
    }
  });
});
