import { describe, expect, it } from "vitest";
import { BadFileError } from "../../src/errors.js";
import { formatSdesInlineKey, parseSdesInlineKey } from "../../src/srtp/sdes-inline-key.js";
import { toHex } from "./hex.js";

describe("RFC 4568 6.1: SDES inline key parameters", () => {
  it("RFC 4568 6.1: the example key of Section 6.1 splits into a 16-byte key and 14-byte salt", () => {
    // a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4
    const k = parseSdesInlineKey("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4", "AES_CM_128_HMAC_SHA1_80");
    expect(k.masterKey.length).toBe(16);
    expect(k.masterSalt.length).toBe(14);
    expect(toHex(k.masterKey)).toBe("3d2d6e40255e7821426a75667239293f");
    expect(k.lifetime).toBe(2 ** 20);
    expect(k.mki).toEqual({ value: 1, length: 4 });
  });

  it("RFC 7714 14.1: AEAD_AES_256_GCM takes 32 + 12 bytes; format/parse round trip", () => {
    const key = new Uint8Array(32).map((_, i) => i);
    const salt = new Uint8Array(12).map((_, i) => 0xf0 + i);
    const text = formatSdesInlineKey(key, salt);
    expect(text.startsWith("inline:")).toBe(true);
    const k = parseSdesInlineKey(text, "AEAD_AES_256_GCM");
    expect(toHex(k.masterKey)).toBe(toHex(key));
    expect(toHex(k.masterSalt)).toBe(toHex(salt));
    expect(() => parseSdesInlineKey(text, "AES_CM_128_HMAC_SHA1_80")).toThrow(BadFileError);
  });

  it("RFC 4568 6.1: malformed key params are rejected with BadFileError", () => {
    for (const bad of ["inline:***", "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|x", "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0"]) {
      expect(() => parseSdesInlineKey(bad, "AES_CM_128_HMAC_SHA1_80")).toThrow(/^Cannot parse SDES key params/);
    }
  });
});
