/**
 * SDES key parameters (RFC 4568 Section 6.1, SRTP key-params in Section 6.2.1; AEAD suites in
 * RFC 7714 Section 14.1): `inline:<base64(master key || master salt)>[|<lifetime>][|<MKI>:<len>]`,
 * as carried in `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:...`.
 */
import { BadFileError } from "../errors.js";
import { SRTP_SUITES, type SrtpSuiteName } from "./srtp-suite.js";

/** The decoded `inline:` key parameters. */
export interface SdesInlineKey {
  masterKey: Uint8Array;
  masterSalt: Uint8Array;
  /** Master key lifetime in packets, when given (`|2^31` gives 2147483648). */
  lifetime?: number;
  /** Master key identifier and its length in bytes on the wire, when given. */
  mki?: { value: number; length: number };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Splits `inline:` key parameters into master key and salt for `suite`. Accepts the value with
 * or without the `inline:` prefix. Throws BadFileError when the text or the length is wrong.
 */
export function parseSdesInlineKey(keyParams: string, suite: SrtpSuiteName): SdesInlineKey {
  const params = SRTP_SUITES[suite];
  if (params === undefined) {
    throw new BadFileError(`Cannot parse SDES key params: unknown suite ${JSON.stringify(suite)}`);
  }
  const text = keyParams.trim();
  const body = text.startsWith("inline:") ? text.slice(7) : text;
  const [keySalt = "", ...rest] = body.split("|");
  if (keySalt.length % 4 !== 0 || !BASE64.test(keySalt)) {
    throw new BadFileError(`Cannot parse SDES key params: ${JSON.stringify(keySalt)} is not base64`);
  }
  const bytes = decodeBase64(keySalt);
  const want = params.keyLength + params.saltLength;
  if (bytes.length !== want) {
    throw new BadFileError(
      `Cannot parse SDES key params: key||salt has ${bytes.length} bytes, allowed is ${want} for ${suite}`,
    );
  }
  const out: SdesInlineKey = {
    masterKey: bytes.slice(0, params.keyLength),
    masterSalt: bytes.slice(params.keyLength),
  };
  for (const field of rest) {
    if (field.includes(":")) {
      const m = /^(\d+):(\d+)$/.exec(field);
      const length = m ? Number(m[2]) : NaN;
      if (!m || out.mki !== undefined || !(length >= 1 && length <= 128)) {
        throw new BadFileError(`Cannot parse SDES key params: bad MKI ${JSON.stringify(field)}`);
      }
      out.mki = { value: Number(m[1]), length };
    } else {
      const m = /^(?:2\^(\d+)|(\d+))$/.exec(field);
      if (!m || out.lifetime !== undefined || out.mki !== undefined) {
        throw new BadFileError(`Cannot parse SDES key params: bad lifetime ${JSON.stringify(field)}`);
      }
      out.lifetime = m[1] !== undefined ? 2 ** Number(m[1]) : Number(m[2]);
    }
  }
  return out;
}

/** Formats `inline:<base64(masterKey || masterSalt)>` for an `a=crypto` line. */
export function formatSdesInlineKey(masterKey: Uint8Array, masterSalt: Uint8Array): string {
  const all = new Uint8Array(masterKey.length + masterSalt.length);
  all.set(masterKey, 0);
  all.set(masterSalt, masterKey.length);
  let bin = "";
  for (let i = 0; i < all.length; i++) bin += String.fromCharCode(all[i] as number);
  return `inline:${btoa(bin)}`;
}

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
