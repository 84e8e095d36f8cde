/**
 * RFC 7714 Section 16 (SRTP) and Section 17 (SRTCP) test vectors, byte for byte. The RFC
 * publishes session keys (no master key), so the sessions are keyed with
 * SrtpSession.fromSessionKeys. The hex below is transcribed from the RFC text.
 */
import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../../src/errors.js";
import type { SrtpSessionKeys } from "../../src/srtp/key-derivation.js";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import type { SrtpSuiteName } from "../../src/srtp/srtp-suite.js";
import { hex, toHex } from "./hex.js";

const KEY_128 = hex("000102030405060708090a0b0c0d0e0f");
const KEY_256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const SALT = hex("517569642070726f2071756f"); // "Quid pro quo"

function session(suite: SrtpSuiteName, options: { encryptRtcp?: boolean } = {}): SrtpSession {
  const key = suite === "AEAD_AES_256_GCM" ? KEY_256 : KEY_128;
  const set = { encryptionKey: key, salt: SALT, authKey: new Uint8Array(0) };
  const keys: SrtpSessionKeys = { rtp: set, rtcp: set };
  return SrtpSession.fromSessionKeys(suite, keys, options);
}

// Section 16: "Gallia est omnis divisa in partes tres", SSRC 0x5501a0b2, SEQ 0xf17b, ROC 0.
const RTP_PACKET = hex(`8040f17b 8041f8d3 5501a0b2 47616c6c
  69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573`);
const SRTP_128 = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3
  fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf
  8833899d 7f27beb1 6a9152cf 765ee439 0cce`);
const SRTP_256 = hex(`8040f17b 8041f8d3 5501a0b2 32b1de78
  a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799
  b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13`);

// Section 17: SSRC 0x4d617273 ("Mars"), SRTCP index 0x000005d4.
const RTCP_PACKET = hex(`81c8000d 4d617273 4e545031 4e545032
  52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef`);
const SRTCP_128 = hex(`81c8000d 4d617273 63e94885 dcdab67c
  a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded
  0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4`);
const SRTCP_256 = hex(`81c8000d 4d617273 d50ae4d1 f5ce5d30
  4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047
  6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4`);
const SRTCP_TAGGED_128 = hex(`81c8000d 4d617273 4e545031 4e545032
  52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef
  deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4`);
const SRTCP_TAGGED_256 = hex(`81c8000d 4d617273 4e545031 4e545032
  52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef
  deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4`);
const RTCP_SSRC = 0x4d617273;
const RTCP_INDEX = 0x5d4;

describe("RFC 7714 Section 16: SRTP AEAD test vectors", () => {
  it("RFC 7714 16.1.1: SRTP AEAD_AES_128_GCM encryption", () => {
    expect(toHex(session("AEAD_AES_128_GCM").protectRtp(RTP_PACKET))).toBe(toHex(SRTP_128));
  });

  it("RFC 7714 16.1.2: SRTP AEAD_AES_128_GCM decryption", () => {
    expect(toHex(session("AEAD_AES_128_GCM").unprotectRtp(SRTP_128))).toBe(toHex(RTP_PACKET));
  });

  it("RFC 7714 16.2.1: SRTP AEAD_AES_256_GCM encryption", () => {
    expect(toHex(session("AEAD_AES_256_GCM").protectRtp(RTP_PACKET))).toBe(toHex(SRTP_256));
  });

  it("RFC 7714 16.2.2: SRTP AEAD_AES_256_GCM decryption", () => {
    expect(toHex(session("AEAD_AES_256_GCM").unprotectRtp(SRTP_256))).toBe(toHex(RTP_PACKET));
  });

  it("RFC 7714 16.1.2: a flipped bit anywhere in the 16.1 packet fails authentication", () => {
    for (const at of [3, 12, 30, SRTP_128.length - 1]) {
      const bad = SRTP_128.slice();
      bad[at] = (bad[at] as number) ^ 1;
      expect(() => session("AEAD_AES_128_GCM").unprotectRtp(bad)).toThrow(AuthenticationError);
    }
  });

  it("RFC 7714 16.1.1: protectRtpInto in place gives the same bytes", () => {
    const buf = new Uint8Array(RTP_PACKET.length + 16);
    buf.set(RTP_PACKET);
    const n = session("AEAD_AES_128_GCM").protectRtpInto(buf.subarray(0, RTP_PACKET.length), buf);
    expect(n).toBe(SRTP_128.length);
    expect(toHex(buf)).toBe(toHex(SRTP_128));
    const m = session("AEAD_AES_128_GCM").unprotectRtpInto(buf, buf);
    expect(toHex(buf.subarray(0, m))).toBe(toHex(RTP_PACKET));
  });
});

describe("RFC 7714 Section 17: SRTCP AEAD test vectors", () => {
  it("RFC 7714 17.1: SRTCP AEAD_AES_128_GCM encryption and tagging", () => {
    const s = session("AEAD_AES_128_GCM");
    s.setSendRtcpIndex(RTCP_SSRC, RTCP_INDEX);
    expect(toHex(s.protectRtcp(RTCP_PACKET))).toBe(toHex(SRTCP_128));
  });

  it("RFC 7714 17.1: SRTCP AEAD_AES_128_GCM packet verifies and decrypts", () => {
    expect(toHex(session("AEAD_AES_128_GCM").unprotectRtcp(SRTCP_128))).toBe(toHex(RTCP_PACKET));
  });

  it("RFC 7714 17.2: SRTCP AEAD_AES_256_GCM verification and decryption", () => {
    expect(toHex(session("AEAD_AES_256_GCM").unprotectRtcp(SRTCP_256))).toBe(toHex(RTCP_PACKET));
  });

  it("RFC 7714 17.2: SRTCP AEAD_AES_256_GCM encryption reproduces the 17.2 packet", () => {
    const s = session("AEAD_AES_256_GCM");
    s.setSendRtcpIndex(RTCP_SSRC, RTCP_INDEX);
    expect(toHex(s.protectRtcp(RTCP_PACKET))).toBe(toHex(SRTCP_256));
  });

  it("RFC 7714 17.3: SRTCP AEAD_AES_128_GCM tagging only (E = 0)", () => {
    const s = session("AEAD_AES_128_GCM", { encryptRtcp: false });
    s.setSendRtcpIndex(RTCP_SSRC, RTCP_INDEX);
    expect(toHex(s.protectRtcp(RTCP_PACKET))).toBe(toHex(SRTCP_TAGGED_128));
    expect(toHex(session("AEAD_AES_128_GCM").unprotectRtcp(SRTCP_TAGGED_128))).toBe(toHex(RTCP_PACKET));
  });

  it("RFC 7714 17.4: SRTCP AEAD_AES_256_GCM tag verification (E = 0)", () => {
    expect(toHex(session("AEAD_AES_256_GCM").unprotectRtcp(SRTCP_TAGGED_256))).toBe(toHex(RTCP_PACKET));
    const bad = SRTCP_TAGGED_256.slice();
    bad[20] = (bad[20] as number) ^ 0x80;
    expect(() => session("AEAD_AES_256_GCM").unprotectRtcp(bad)).toThrow(AuthenticationError);
  });
});
