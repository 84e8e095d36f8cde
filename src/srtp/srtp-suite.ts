/**
 * The SRTP protection suites rtcpipe implements, and their parameters, as one table that
 * SDP writers (SDES `a=crypto`, RFC 4568) and DTLS-SRTP (RFC 5764) code can read.
 *
 * - AES_CM_128_HMAC_SHA1_80 / _32: RFC 3711 Section 4.1.1 (AES counter mode) and 4.2.1
 *   (HMAC-SHA1), parameters per RFC 4568 Section 6.2.1 and RFC 5764 Section 4.1.2. The `_32`
 *   suite truncates the SRTP tag to 32 bits but keeps an 80-bit SRTCP tag.
 * - AEAD_AES_128_GCM / AEAD_AES_256_GCM: RFC 7714 Sections 12 and 14 (96-bit salt, 16-octet tag
 *   for SRTP and SRTCP).
 */
export type SrtpSuiteName =
  | "AES_CM_128_HMAC_SHA1_80"
  | "AES_CM_128_HMAC_SHA1_32"
  | "AEAD_AES_128_GCM"
  | "AEAD_AES_256_GCM";

/** The lengths and algorithms of one suite. All lengths are in bytes. */
export interface SrtpSuiteParams {
  readonly name: SrtpSuiteName;
  /** Master key and session encryption key length. */
  readonly keyLength: number;
  /** Master salt and session salt length: 14 for AES-CM, 12 for AES-GCM (RFC 7714 Section 12). */
  readonly saltLength: number;
  /** Authentication tag appended to SRTP packets. */
  readonly rtpTagLength: number;
  /** Authentication tag appended to SRTCP packets (after or before the E||index word). */
  readonly rtcpTagLength: number;
  /** Session authentication key length (HMAC-SHA1 key, RFC 3711 Section 4.2.1); 0 for AEAD. */
  readonly authKeyLength: number;
  /** True for the RFC 7714 AEAD suites. */
  readonly aead: boolean;
  /** The DTLS-SRTP protection profile number (RFC 5764 Section 4.1.2, RFC 7714 Section 14.2). */
  readonly dtlsProfile: number;
}

/** Every suite rtcpipe implements, keyed by its SDES / DTLS-SRTP name. */
export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuiteParams>> = Object.freeze({
  AES_CM_128_HMAC_SHA1_80: Object.freeze({
    name: "AES_CM_128_HMAC_SHA1_80",
    keyLength: 16,
    saltLength: 14,
    rtpTagLength: 10,
    rtcpTagLength: 10,
    authKeyLength: 20,
    aead: false,
    dtlsProfile: 0x0001,
  }),
  AES_CM_128_HMAC_SHA1_32: Object.freeze({
    name: "AES_CM_128_HMAC_SHA1_32",
    keyLength: 16,
    saltLength: 14,
    rtpTagLength: 4,
    rtcpTagLength: 10,
    authKeyLength: 20,
    aead: false,
    dtlsProfile: 0x0002,
  }),
  AEAD_AES_128_GCM: Object.freeze({
    name: "AEAD_AES_128_GCM",
    keyLength: 16,
    saltLength: 12,
    rtpTagLength: 16,
    rtcpTagLength: 16,
    authKeyLength: 0,
    aead: true,
    dtlsProfile: 0x0007,
  }),
  AEAD_AES_256_GCM: Object.freeze({
    name: "AEAD_AES_256_GCM",
    keyLength: 32,
    saltLength: 12,
    rtpTagLength: 16,
    rtcpTagLength: 16,
    authKeyLength: 0,
    aead: true,
    dtlsProfile: 0x0008,
  }),
});

/** The suite names in preference order (strongest first), e.g. for an SDP offer. */
export const SRTP_SUITE_NAMES: readonly SrtpSuiteName[] = Object.freeze([
  "AEAD_AES_256_GCM",
  "AEAD_AES_128_GCM",
  "AES_CM_128_HMAC_SHA1_80",
  "AES_CM_128_HMAC_SHA1_32",
] as const);
