import { describe, expect, it } from "vitest";
import { AesCmKeystream } from "../../src/srtp/aes-cm-keystream.js";
import { HmacSha1 } from "../../src/srtp/hmac-sha1.js";
import { SrtpKdfLabel, deriveSrtpSessionKeys, srtpKdf } from "../../src/srtp/key-derivation.js";
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import { createHmac } from "node:crypto";
import { hex, toHex } from "./hex.js";

describe("RFC 3711 Appendix B.2: AES-CM test vectors", () => {
  // Session key, and the salt already placed as the RFC's "Offset" (SSRC = 0, ROC = 0, SEQ = 0).
  const key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
  const salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  const ks = new AesCmKeystream(key, salt);

  it("RFC 3711 B.2: counters 0000..0002 give the published keystream blocks", () => {
    const out = ks.keystream(48, 0, 0, 0);
    expect(toHex(out)).toBe(
      "e03ead0935c95e80e166b16dd92b4eb4" + "d23513162b02d0f72a43a2fe4a5f97ab" + "41e95b3bb0a2e8dd477901e4fca894c0",
    );
  });

  it("RFC 3711 B.2: counters FEFF, FF00, FF01 give the published keystream blocks", () => {
    const out = ks.keystream(0xff02 * 16, 0, 0, 0);
    expect(toHex(out.subarray(0xfeff * 16, 0xff02 * 16))).toBe(
      "ec8cdf7398607cb0f2d21675ea9ea1e4" + "362b7c3c6773516318a077d7fc5073ae" + "6a2cc3787889374fbeb4c81b17ba6c44",
    );
  });

  it("RFC 3711 4.1.1: xorInPlace is keystream XOR at any alignment", () => {
    const data = new Uint8Array(100).map((_, i) => i * 7);
    const expected = ks.keystream(61, 0x12345678, 3, 0xfffe).map((k, i) => k ^ (data[i + 3] as number));
    const copy = data.slice();
    ks.xorInPlace(copy, 3, 61, 0x12345678, 3, 0xfffe);
    expect(toHex(copy.subarray(3, 64))).toBe(toHex(expected));
    expect(copy[2]).toBe(data[2]);
    expect(copy[64]).toBe(data[64]);
  });
});

describe("RFC 3711 Appendix B.3: key derivation test vectors", () => {
  const masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6");

  it("RFC 3711 B.3: cipher key (label 0)", () => {
    expect(toHex(srtpKdf(masterKey, masterSalt, SrtpKdfLabel.rtpEncryption, 16))).toBe("c61e7a93744f39ee10734afe3ff7a087");
  });

  it("RFC 3711 B.3: cipher salt (label 2)", () => {
    expect(toHex(srtpKdf(masterKey, masterSalt, SrtpKdfLabel.rtpSalt, 14))).toBe("30cbbc08863d8c85d49db34a9ae1");
  });

  it("RFC 3711 B.3: authentication key (label 1), all 94 published bytes", () => {
    expect(toHex(srtpKdf(masterKey, masterSalt, SrtpKdfLabel.rtpAuthentication, 94))).toBe(
      "cebe321f6ff7716b6fd4ab49af256a15" +
        "6d38baa48f0a0acf3c34e2359e6cdbce" +
        "e049646c43d9327ad175578ef7227098" +
        "6371c10c9a369ac2f94a8c5fbcdddc25" +
        "6d6e919a48b610ef17c2041e47403576" +
        "6b68642c59bbfc2f34db60dbdfb2",
    );
  });

  it("RFC 3711 4.3: deriveSrtpSessionKeys gives the B.3 keys for AES_CM_128_HMAC_SHA1_80", () => {
    const keys = deriveSrtpSessionKeys(SRTP_SUITES.AES_CM_128_HMAC_SHA1_80, masterKey, masterSalt);
    expect(toHex(keys.rtp.encryptionKey)).toBe("c61e7a93744f39ee10734afe3ff7a087");
    expect(toHex(keys.rtp.salt)).toBe("30cbbc08863d8c85d49db34a9ae1");
    expect(toHex(keys.rtp.authKey)).toBe("cebe321f6ff7716b6fd4ab49af256a156d38baa4");
    // SRTCP labels 3..5 (RFC 3711 4.3.2) differ from the SRTP ones.
    expect(toHex(keys.rtcp.encryptionKey)).not.toBe(toHex(keys.rtp.encryptionKey));
    expect(keys.rtcp.authKey.length).toBe(20);
  });
});

describe("RFC 2104 HMAC-SHA1 as used by RFC 3711 4.2.1", () => {
  it("RFC 3711 4.2.1: HmacSha1 equals node:crypto createHmac for many lengths and trailers", () => {
    const key = hex("cebe321f6ff7716b6fd4ab49af256a156d38baa4");
    const mac = new HmacSha1(key);
    const data = new Uint8Array(3000).map((_, i) => (i * 31 + 7) & 0xff);
    for (const len of [0, 1, 12, 55, 56, 63, 64, 119, 120, 1200, 1499, 2990]) {
      for (const trailer of [-1, 0, 1, 0xffffffff]) {
        const h = createHmac("sha1", key).update(data.subarray(5, 5 + len));
        if (trailer >= 0) h.update(Uint8Array.of(trailer >>> 24, (trailer >>> 16) & 255, (trailer >>> 8) & 255, trailer & 255));
        const expected = new Uint8Array(h.digest());
        const out = new Uint8Array(20);
        mac.sign(data, 5, len, trailer, out, 0, 20);
        expect(toHex(out)).toBe(toHex(expected));
        expect(mac.verify(data, 5, len, trailer, expected, 0, 10)).toBe(true);
        expected[9] = (expected[9] as number) ^ 1;
        expect(mac.verify(data, 5, len, trailer, expected, 0, 10)).toBe(false);
      }
    }
  });
});
