/** RFC 5769 test vectors (sections 2.1-2.4), parsed and re-serialized byte for byte. */
import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { longTermKey, shortTermKey } from "../../src/stun/stun-credentials.js";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { StunClass, StunMethod } from "../../src/stun/stun-message-type.js";
import { isStunPacket } from "../../src/stun/is-stun-packet.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const ascii = (s: string): string => Buffer.from(s, "latin1").toString("hex");

const TID = hex("b7e7a701 bc34d686 fa87dfae");
const SHORT_PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";

// RFC 5769 2.1 Sample Request (padding bytes are 0x20 in the RFC).
const SAMPLE_REQUEST = hex(
  "00010058 2112a442 b7e7a701 bc34d686 fa87dfae" +
    "80220010" + ascii("STUN test client") +
    "00240004 6e0001ff" +
    "80290008 932ff9b1 51263b36" +
    "00060009 6576746a 3a683676 59202020" +
    "00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2" +
    "80280004 e57a3bcf",
);
// RFC 5769 2.2 Sample IPv4 Response.
const IPV4_RESPONSE = hex(
  "0101003c 2112a442 b7e7a701 bc34d686 fa87dfae" +
    "8022000b 74657374 20766563 746f7220" +
    "00200008 0001a147 e112a643" +
    "00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7" +
    "80280004 c07d4c96",
);
// RFC 5769 2.3 Sample IPv6 Response.
const IPV6_RESPONSE = hex(
  "01010048 2112a442 b7e7a701 bc34d686 fa87dfae" +
    "8022000b 74657374 20766563 746f7220" +
    "00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9" +
    "00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41" +
    "80280004 c8fb0b4c",
);
// RFC 5769 2.4 Sample Request with Long-Term Authentication.
const LONG_TERM_REQUEST = hex(
  "00010060 2112a442 78ad3433 c6ad72c0 29da412e" +
    "00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000" +
    "0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341" +
    "0014000b 6578616d 706c652e 6f726700" +
    "00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666",
);

describe("RFC 5769 test vectors", () => {
  it("RFC 5769 2.1: sample request parses, verifies with the short-term key, and re-serializes byte for byte", () => {
    expect(isStunPacket(SAMPLE_REQUEST)).toBe(true);
    const m = StunMessage.parse(SAMPLE_REQUEST);
    expect(m.messageClass).toBe(StunClass.request);
    expect(m.method).toBe(StunMethod.binding);
    expect(m.transactionId).toEqual(TID);
    expect(m.getText(T.software)).toBe("STUN test client");
    expect(m.getText(T.username)).toBe("evtj:h6vY");
    expect(m.getUint32(T.priority)).toBe(0x6e0001ff);
    expect(m.getTieBreaker(T.iceControlled)).toBe(0x932ff9b151263b36n);
    expect(m.hasMessageIntegrity && m.hasFingerprint).toBe(true);
    expect(m.verifyIntegrity(shortTermKey(SHORT_PASSWORD))).toBe(true);
    expect(m.verifyIntegrity(shortTermKey("VOkJxbRl1RmTxUk/WvJxBT"))).toBe(false);
    // Build it from scratch: MESSAGE-INTEGRITY and FINGERPRINT must come out identical.
    const built = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: TID })
      .addText(T.software, "STUN test client")
      .addUint32(T.priority, 0x6e0001ff)
      .addTieBreaker(T.iceControlled, 0x932ff9b151263b36n)
      .addText(T.username, "evtj:h6vY")
      .serialize({ integrityKey: shortTermKey(SHORT_PASSWORD), fingerprint: true, paddingByte: 0x20 });
    expect(Buffer.from(built).toString("hex")).toBe(Buffer.from(SAMPLE_REQUEST).toString("hex"));
  });

  it("RFC 5769 2.2: IPv4 response gives 192.0.2.1:32853 and re-serializes byte for byte", () => {
    const m = StunMessage.parse(IPV4_RESPONSE);
    expect(m.messageClass).toBe(StunClass.successResponse);
    expect(m.getXorAddress()).toEqual({ family: 4, address: "192.0.2.1", port: 32853 });
    expect(m.getText(T.software)).toBe("test vector");
    expect(m.verifyIntegrity(shortTermKey(SHORT_PASSWORD))).toBe(true);
    const built = new StunMessage({ messageClass: StunClass.successResponse, method: StunMethod.binding, transactionId: TID })
      .addText(T.software, "test vector")
      .addXorAddress(T.xorMappedAddress, { family: 4, address: "192.0.2.1", port: 32853 })
      .serialize({ integrityKey: shortTermKey(SHORT_PASSWORD), fingerprint: true, paddingByte: 0x20 });
    expect(Buffer.from(built).toString("hex")).toBe(Buffer.from(IPV4_RESPONSE).toString("hex"));
  });

  it("RFC 5769 2.3: IPv6 response gives [2001:db8:1234:5678:11:2233:4455:6677]:32853 and re-serializes byte for byte", () => {
    const m = StunMessage.parse(IPV6_RESPONSE);
    const addr = { family: 6, address: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853 } as const;
    expect(m.getXorAddress()).toEqual(addr);
    expect(m.verifyIntegrity(shortTermKey(SHORT_PASSWORD))).toBe(true);
    const built = new StunMessage({ messageClass: StunClass.successResponse, method: StunMethod.binding, transactionId: TID })
      .addText(T.software, "test vector")
      .addXorAddress(T.xorMappedAddress, addr)
      .serialize({ integrityKey: shortTermKey(SHORT_PASSWORD), fingerprint: true, paddingByte: 0x20 });
    expect(Buffer.from(built).toString("hex")).toBe(Buffer.from(IPV6_RESPONSE).toString("hex"));
  });

  it("RFC 5769 2.4: long-term request verifies with MD5(user:realm:SASLprep(pass)) and re-serializes byte for byte", () => {
    const m = StunMessage.parse(LONG_TERM_REQUEST);
    const username = m.getText(T.username)!;
    expect(username).toBe("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9");
    expect(m.getText(T.nonce)).toBe("f//499k954d6OL34oL9FSTvy64sA");
    expect(m.getText(T.realm)).toBe("example.org");
    expect(m.hasFingerprint).toBe(false);
    // The RFC's password before SASLprep: "The<U+00AD>M<U+00AA>tr<U+2168>" -> "TheMatrIX".
    const key = longTermKey(username, "example.org", "The\u00ADM\u00AAtr\u2168");
    expect(key).toEqual(longTermKey(username, "example.org", "TheMatrIX"));
    expect(m.verifyIntegrity(key)).toBe(true);
    expect(m.verifyIntegrity(longTermKey(username, "example.org", "TheMatrix"))).toBe(false);
    const built = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: m.transactionId })
      .addText(T.username, username)
      .addText(T.nonce, "f//499k954d6OL34oL9FSTvy64sA")
      .addText(T.realm, "example.org")
      .serialize({ integrityKey: key });
    expect(Buffer.from(built).toString("hex")).toBe(Buffer.from(LONG_TERM_REQUEST).toString("hex"));
  });

  it("RFC 5769 2.1-2.3: one flipped bit before FINGERPRINT is rejected as MalformedPacketError; one in MESSAGE-INTEGRITY fails verification", () => {
    for (const v of [SAMPLE_REQUEST, IPV4_RESPONSE, IPV6_RESPONSE]) {
      const bad = v.slice();
      bad[27] = bad[27]! ^ 0x01;
      expect(() => StunMessage.parse(bad)).toThrow(MalformedPacketError);
    }
    const bad = LONG_TERM_REQUEST.slice();
    bad[32] = bad[32]! ^ 0x01; // inside USERNAME; no FINGERPRINT in 2.4, so it parses
    const m = StunMessage.parse(bad);
    expect(m.verifyIntegrity(longTermKey("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", "example.org", "TheMatrIX"))).toBe(false);
  });
});
