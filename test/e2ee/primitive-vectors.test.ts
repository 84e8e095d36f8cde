import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from "../../src/e2ee/ed25519.js";
import { hkdfSha256 } from "../../src/e2ee/hkdf-sha256.js";
import { x25519, x25519PublicKey } from "../../src/e2ee/x25519.js";
import { hex, toHex } from "../srtp/hex.js";

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("HKDF-SHA256 (RFC 5869 Appendix A)", () => {
  it("RFC 5869 A.1: basic test case with SHA-256", () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
    expect(toHex(okm)).toBe("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  });

  it("RFC 5869 A.2: longer inputs/outputs", () => {
    const okm = hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
    expect(toHex(okm)).toBe(
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
    );
  });

  it("RFC 5869 A.3: zero-length salt and info", () => {
    const okm = hkdfSha256(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42);
    expect(toHex(okm)).toBe("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  });

  it("refuses an output length outside 1..255*32 (RFC 5869 Section 2.3)", () => {
    expect(() => hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 0)).toThrow(/length 0/);
    expect(() => hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 255 * 32 + 1)).toThrow(/RFC 5869 Section 2.3/);
  });
});

describe("X25519 (RFC 7748)", () => {
  it("RFC 7748 Section 5.2: the two scalar/u-coordinate test vectors", () => {
    expect(toHex(x25519(hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"), hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")))).toBe(
      "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
    );
    // The u-coordinate has its top bit set, which X25519 must mask (Section 5).
    expect(toHex(x25519(hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"), hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")))).toBe(
      "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
    );
  });

  it("RFC 7748 Section 5.2: iterated 1 and 1000 times from k = u = 9", () => {
    let k: Uint8Array = new Uint8Array(32);
    k[0] = 9;
    let u: Uint8Array = k.slice();
    const results: string[] = [];
    for (let i = 1; i <= 1000; i++) {
      const r = x25519(k, u);
      u = k;
      k = r;
      if (i === 1 || i === 1000) results.push(toHex(k));
    }
    expect(results).toEqual([
      "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
      "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
    ]);
  });

  it("RFC 7748 Section 6.1: Alice and Bob's public keys and shared secret", () => {
    const alicePriv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    const bobPriv = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    const alicePub = x25519PublicKey(alicePriv);
    const bobPub = x25519PublicKey(bobPriv);
    expect(toHex(alicePub)).toBe("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    expect(toHex(bobPub)).toBe("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    const shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    expect(toHex(x25519(alicePriv, bobPub))).toBe(shared);
    expect(toHex(x25519(bobPriv, alicePub))).toBe(shared);
  });

  it("RFC 7748 Section 6.1: a low-order public key (all-zero result) is refused", () => {
    const priv = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    for (const u of [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0))]) {
      expect(() => x25519(priv, u)).toThrow(MalformedPacketError);
    }
    expect(() => x25519(priv, new Uint8Array(31))).toThrow(/31 bytes, allowed is 32/);
  });
});

describe("Ed25519 (RFC 8032 Section 7.1)", () => {
  const vectors = [
    {
      name: "RFC 8032 7.1 TEST 1 (empty message)",
      secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      message: "",
      signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    {
      name: "RFC 8032 7.1 TEST 2 (1 byte)",
      secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      message: "72",
      signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    },
    {
      name: "RFC 8032 7.1 TEST 3 (2 bytes)",
      secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      message: "af82",
      signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    },
  ];
  for (const v of vectors) {
    it(`${v.name}: public key, signature, verification`, () => {
      const secret = hex(v.secret);
      const message = hex(v.message);
      expect(toHex(ed25519PublicKey(secret))).toBe(v.public);
      expect(toHex(ed25519Sign(secret, message))).toBe(v.signature);
      expect(ed25519Verify(hex(v.public), message, hex(v.signature))).toBe(true);
      // One flipped bit in the signature or the message fails verification.
      const badSig = hex(v.signature);
      badSig[10] = (badSig[10] as number) ^ 1;
      expect(ed25519Verify(hex(v.public), message, badSig)).toBe(false);
      expect(ed25519Verify(hex(v.public), Uint8Array.of(...message, 0), hex(v.signature))).toBe(false);
    });
  }

  it("verification of a signature of the wrong length or under a non-point key is false, not a throw", () => {
    const v = vectors[0]!;
    expect(ed25519Verify(hex(v.public), new Uint8Array(0), new Uint8Array(63))).toBe(false);
    expect(ed25519Verify(new Uint8Array(32).fill(0xff), new Uint8Array(0), hex(v.signature))).toBe(false);
  });
});
