/**
 * SRTP and SRTCP (RFC 3711) with the AES-CM/HMAC-SHA1 suites and the AES-GCM suites of
 * RFC 7714, for one master key and salt (one direction of a call: use one session to protect what
 * you send and another, with the peer's key, to unprotect what you receive).
 *
 * Per SSRC the session keeps a crypto context (RFC 3711 Section 3.2.3): for received SRTP the
 * rollover counter, highest sequence number and replay window (Sections 3.3.1, 3.3.2); for
 * received SRTCP a replay window over the SRTCP index; for sent streams the ROC and next SRTCP
 * index. Receive-side state changes only after a packet authenticated.
 *
 * The send side does not refuse a repeated sequence number (an RTX-less retransmission protects
 * to the same bytes, which leaks nothing new), and the 31-bit SRTCP index wraps after 2^31
 * packets: rekey long before either matters (RFC 3711 Section 9.2).
 *
 * Hot path: no cipher, HMAC or hash object is created per AES-CM packet. The packet is copied
 * once into a PacketScratch (WASM linear memory), where the keystream, generated up to 16 packets
 * ahead per SSRC (KeystreamBatches), is XORed on by a SIMD kernel and the HMAC (HmacSha1) or the
 * GCM tag (AesGcmAead) is computed over the same bytes; the result is copied out. The `...Into`
 * methods write into a caller buffer (which may alias the input in any way) and allocate nothing
 * per packet but Node's: one keystream Buffer per batch, and for GCM the per-packet cipher object.
 *
 * Per 1200-byte RTP packet on the 2-vCPU development machine (SrtpSession alone, min of 21 runs;
 * bench/srtp.ts has the side-by-side figures): AES_CM_128_HMAC_SHA1_80 protect 2.87 -> 1.8 µs,
 * unprotect 2.98 -> 1.95 µs; AEAD_AES_128_GCM protect 3.36 -> 2.86 µs, unprotect
 * 3.52 -> 2.88 µs. GCM is bounded by Node's per-packet cipher object (see AesGcmAead).
 */
import { AuthenticationError, InvalidOptionError, MalformedPacketError, ReplayError, checkInt, checkOneOf } from "../errors.js";
import { AesCmKeystream } from "./aes-cm-keystream.js";
import { AesGcmAead } from "./aes-gcm-aead.js";
import { ByteSlab } from "./byte-slab.js";
import { guessRolloverCounter } from "./guess-rollover-counter.js";
import { HmacSha1 } from "./hmac-sha1.js";
import { PacketScratch } from "./packet-scratch.js";
import { deriveSrtpSessionKeys, type SrtpSessionKeys } from "./key-derivation.js";
import { ReplayVerdict, ReplayWindow } from "./replay-window.js";
import { SRTP_SUITES, type SrtpSuiteName, type SrtpSuiteParams } from "./srtp-suite.js";

export interface SrtpSessionOptions {
  /** The protection suite (see SRTP_SUITES). */
  suite: SrtpSuiteName;
  /** Master key: 16 bytes (32 for AEAD_AES_256_GCM). */
  masterKey: Uint8Array;
  /** Master salt: 14 bytes for AES_CM suites, 12 for AEAD suites. */
  masterSalt: Uint8Array;
  /** Replay window in packets, per SSRC, for SRTP and SRTCP. Default 128; allowed 64..32768. */
  replayWindow?: number;
  /** Encrypt SRTCP payloads (E flag = 1). Default true; false sends authenticated-only SRTCP. */
  encryptRtcp?: boolean;
}

/** Counters of a session; a plain object of numbers. */
export type SrtpStats = {
  /** RTP and RTCP packets protected. */
  protected: number;
  /** SRTP and SRTCP packets that authenticated and were unprotected. */
  unprotected: number;
  /** Packets rejected because the tag did not verify. */
  authFailures: number;
  /** Packets rejected as replayed or older than the replay window. */
  replayed: number;
  /** Packets rejected because they do not parse (too short, not version 2, bad lengths). */
  malformed: number;
};

interface RtpReceiveState {
  roc: number;
  highestSeq: number;
  readonly window: ReplayWindow;
}

interface RtpSendState {
  roc: number;
  highestSeq: number;
}

const DEFAULT_REPLAY_WINDOW = 128;
/** PacketScratch view slots of the AES-CM paths (AesGcmAead uses 0 and 1). */
const VIEW_HASH = 2;
const VIEW_OUT = 3;
const SRTCP_INDEX_BYTES = 4;

export class SrtpSession {
  readonly suite: SrtpSuiteParams;
  /** Bytes protectRtp adds to a packet (the tag). */
  readonly rtpOverheadBytes: number;
  /** Bytes protectRtcp adds to a packet (E||index word and tag). */
  readonly rtcpOverheadBytes: number;

  private readonly replayWindowSize: number;
  private readonly encryptRtcp: boolean;
  private readonly rtpTagLength: number;
  private readonly rtcpTagLength: number;
  // AES-CM suites
  private readonly rtpKeystream: AesCmKeystream | undefined;
  private readonly rtcpKeystream: AesCmKeystream | undefined;
  private readonly rtpMac: HmacSha1 | undefined;
  private readonly rtcpMac: HmacSha1 | undefined;
  // AEAD suites
  private readonly rtpAead: AesGcmAead | undefined;
  private readonly rtcpAead: AesGcmAead | undefined;
  private readonly aad = new Uint8Array(64);
  /** Where packets are encrypted and hashed (WASM linear memory; see PacketScratch). */
  private readonly scratch = new PacketScratch();
  /** Backs the arrays the allocating methods return (see ByteSlab). */
  private readonly slab = new ByteSlab();

  private readonly rtpRx = new Map<number, RtpReceiveState>();
  private readonly rtpTx = new Map<number, RtpSendState>();
  private readonly rtcpRx = new Map<number, ReplayWindow>();
  private readonly rtcpTx = new Map<number, number>();

  private nProtected = 0;
  private nUnprotected = 0;
  private nAuthFailures = 0;
  private nReplayed = 0;
  private nMalformed = 0;

  /**
   * @param options suite, master key and salt, replay window.
   * @param sessionKeys internal: use these session keys instead of deriving them (see
   *   SrtpSession.fromSessionKeys); masterKey and masterSalt are then ignored.
   */
  constructor(options: SrtpSessionOptions, sessionKeys?: SrtpSessionKeys) {
    if (options === null || typeof options !== "object") {
      throw new InvalidOptionError("Cannot create SrtpSession: options must be an object");
    }
    const name = checkOneOf("suite", options.suite, Object.keys(SRTP_SUITES) as SrtpSuiteName[]);
    const suite = SRTP_SUITES[name];
    if (sessionKeys === undefined) {
      checkBytes("masterKey", options.masterKey, suite.keyLength, name);
      checkBytes("masterSalt", options.masterSalt, suite.saltLength, name);
    } else {
      for (const set of [sessionKeys.rtp, sessionKeys.rtcp]) {
        checkBytes("session encryptionKey", set.encryptionKey, suite.keyLength, name);
        checkBytes("session salt", set.salt, suite.saltLength, name);
        checkBytes("session authKey", set.authKey, suite.authKeyLength, name);
      }
    }
    this.replayWindowSize = checkInt("replayWindow", options.replayWindow ?? DEFAULT_REPLAY_WINDOW, 64, 32768);
    this.encryptRtcp = options.encryptRtcp ?? true;
    this.suite = suite;
    this.rtpTagLength = suite.rtpTagLength;
    this.rtcpTagLength = suite.rtcpTagLength;
    this.rtpOverheadBytes = suite.rtpTagLength;
    this.rtcpOverheadBytes = suite.rtcpTagLength + SRTCP_INDEX_BYTES;

    const keys = sessionKeys ?? deriveSrtpSessionKeys(suite, options.masterKey, options.masterSalt);
    if (suite.aead) {
      this.rtpAead = new AesGcmAead(keys.rtp.encryptionKey, keys.rtp.salt, this.scratch);
      this.rtcpAead = new AesGcmAead(keys.rtcp.encryptionKey, keys.rtcp.salt, this.scratch);
    } else {
      this.rtpKeystream = new AesCmKeystream(keys.rtp.encryptionKey, keys.rtp.salt);
      this.rtcpKeystream = new AesCmKeystream(keys.rtcp.encryptionKey, keys.rtcp.salt);
      this.rtpMac = new HmacSha1(keys.rtp.authKey);
      this.rtcpMac = new HmacSha1(keys.rtcp.authKey);
    }
  }

  /**
   * A session keyed with session keys directly, skipping key derivation: for test vectors
   * (RFC 7714 Section 16 publishes session keys, not master keys) and for tools that hold
   * session keys. Real calls key sessions from a master key and salt.
   */
  static fromSessionKeys(
    suite: SrtpSuiteName,
    keys: SrtpSessionKeys,
    options: Omit<SrtpSessionOptions, "suite" | "masterKey" | "masterSalt"> = {},
  ): SrtpSession {
    return new SrtpSession({ ...options, suite, masterKey: new Uint8Array(0), masterSalt: new Uint8Array(0) }, keys);
  }

  /**
   * Sets the SRTCP index the next protectRtcp of `ssrc` uses (0..2^31-1), e.g. to continue a
   * stream across sessions with the same key. The index must never repeat under one key.
   */
  setSendRtcpIndex(ssrc: number, index: number): void {
    checkInt("index", index, 0, 0x7fffffff);
    this.rtcpTx.set(ssrc >>> 0, index);
  }

  /** A copy of the counters. */
  stats(): SrtpStats {
    return {
      protected: this.nProtected,
      unprotected: this.nUnprotected,
      authFailures: this.nAuthFailures,
      replayed: this.nReplayed,
      malformed: this.nMalformed,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // SRTP (RFC 3711 Section 3.1, RFC 7714 Section 8)

  /**
   * Protects one RTP packet; returns packet + tag as a new view into a shared slab (see
   * ByteSlab: `.buffer` is the slab; `slice()` it to own a separate ArrayBuffer).
   */
  protectRtp(packet: Uint8Array): Uint8Array {
    const out = this.slab.alloc(packet.length + this.rtpTagLength);
    this.protectRtpInto(packet, out, 0);
    return out;
  }

  /**
   * Protects one RTP packet into dst[dstOffset ..] and returns the number of bytes written
   * (packet.length + tag). `dst` may be the buffer `packet` views, at the same offset, for in-place
   * protection: `protectRtpInto(buf.subarray(0, n), buf)` with room for the tag after n.
   */
  protectRtpInto(packet: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
    const len = packet.length;
    const hdrLen = rtpHeaderLength(packet, len);
    if (hdrLen < 0) {
      this.nMalformed++;
      throw new MalformedPacketError(`Cannot protect SRTP: ${rtpHeaderProblem(packet, len, hdrLen)}`);
    }
    const outLen = len + this.rtpTagLength;
    checkRoom("protect SRTP", dst, dstOffset, outLen);
    // Both paths copy the packet into the scratch before writing dst: any overlap is harmless.
    const src = packet;
    const seq = (src[2] as number) << 8 | (src[3] as number);
    const ssrc = readU32(src, 8);
    const roc = this.sendRoc(ssrc, seq);

    if (this.rtpAead !== undefined) {
      const aead = this.rtpAead;
      aead.rtpIv(ssrc, roc, seq);
      aead.sealPacket(src, hdrLen, len - hdrLen, dst, dstOffset);
    } else {
      // In scratch: [K^ipad | packet | ROC | keystream]; encrypt, MAC, copy out (see PacketScratch).
      const sc = this.scratch;
      const p = sc.reserve(2 * len + 128) + 64;
      sc.bytes.set(src, p);
      this.cmEncryptInScratch(this.rtpKeystream as AesCmKeystream, p + hdrLen, len - hdrLen, ssrc, roc * 65536 + seq);
      (this.rtpMac as HmacSha1).signPrefixed(sc.bytes, sc.view(VIEW_HASH, p - 64, 64 + len + 4), p, len, roc, dst, dstOffset + len, this.rtpTagLength);
      dst.set(sc.view(VIEW_OUT, p, len), dstOffset);
    }
    this.nProtected++;
    return outLen;
  }

  /** Verifies and decrypts one SRTP packet; returns the RTP packet (a new slab view, as protectRtp). */
  unprotectRtp(packet: Uint8Array): Uint8Array {
    const out = this.slab.alloc(Math.max(0, packet.length - this.rtpTagLength));
    const n = this.unprotectRtpInto(packet, out, 0);
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * Verifies and decrypts one SRTP packet into dst[dstOffset ..]; returns the RTP packet length.
   * `dst` may be the buffer `packet` views, at the same offset (in place). Throws
   * MalformedPacketError, ReplayError or AuthenticationError, leaving the context unchanged and
   * writing nothing to `dst` on failure.
   */
  unprotectRtpInto(packet: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
    const len = packet.length;
    const tagLen = this.rtpTagLength;
    const bodyLen = len - tagLen;
    const hdrLen = bodyLen >= 12 ? rtpHeaderLength(packet, bodyLen) : -1;
    if (hdrLen < 0) {
      this.nMalformed++;
      throw new MalformedPacketError(
        bodyLen < 12
          ? `Cannot unprotect SRTP: packet of ${len} bytes is shorter than a 12-byte RTP header plus a ${tagLen}-byte tag`
          : `Cannot unprotect SRTP: ${rtpHeaderProblem(packet, bodyLen, hdrLen)}`,
      );
    }
    checkRoom("unprotect SRTP", dst, dstOffset, bodyLen);
    const seq = (packet[2] as number) << 8 | (packet[3] as number);
    const ssrc = readU32(packet, 8);
    const state = this.rtpRx.get(ssrc);
    const v = state === undefined ? 0 : guessRolloverCounter(state.highestSeq, state.roc, seq);
    const index = v * 65536 + seq;
    if (v < 0 || v > 0xffffffff) {
      this.nReplayed++;
      throw new ReplayError(`Cannot unprotect SRTP: sequence number ${seq} of SSRC ${hex32(ssrc)} is older than the first packet received`);
    }
    if (state !== undefined) {
      const verdict = state.window.check(index);
      if (verdict !== ReplayVerdict.Fresh) {
        this.nReplayed++;
        throw new ReplayError(
          `Cannot unprotect SRTP: packet index ${index} of SSRC ${hex32(ssrc)} ${verdict === ReplayVerdict.Duplicate ? "was already received" : `is older than the ${state.window.size}-packet replay window`} (RFC 3711 Section 3.3.2)`,
        );
      }
    }

    if (this.rtpAead !== undefined) {
      const aead = this.rtpAead;
      aead.rtpIv(ssrc, v, seq);
      if (!aead.openPacket(packet, hdrLen, bodyLen - hdrLen, dst, dstOffset)) this.authFailed("SRTP", ssrc, index);
    } else {
      // In scratch: [K^ipad | packet (its tag overwritten by the ROC) | keystream].
      const sc = this.scratch;
      const p = sc.reserve(2 * len + 128) + 64;
      sc.bytes.set(packet, p);
      if (!(this.rtpMac as HmacSha1).verifyPrefixed(sc.bytes, sc.view(VIEW_HASH, p - 64, 64 + bodyLen + 4), p, bodyLen, v, packet, bodyLen, tagLen)) {
        this.authFailed("SRTP", ssrc, index);
      }
      // Authenticated: decrypt in scratch, then copy out (dst may alias packet: it was copied).
      this.cmEncryptInScratch(this.rtpKeystream as AesCmKeystream, p + hdrLen, bodyLen - hdrLen, ssrc, index);
      dst.set(sc.view(VIEW_OUT, p, bodyLen), dstOffset);
    }

    // Authenticated: now update ROC, s_l and the replay list (RFC 3711 Section 3.3.1, 3.3.2).
    if (state === undefined) {
      const window = new ReplayWindow(this.replayWindowSize);
      window.accept(index);
      this.rtpRx.set(ssrc, { roc: v, highestSeq: seq, window });
    } else {
      if (v > state.roc) {
        state.roc = v;
        state.highestSeq = seq;
      } else if (v === state.roc && seq > state.highestSeq) {
        state.highestSeq = seq;
      }
      state.window.accept(index);
    }
    this.nUnprotected++;
    return bodyLen;
  }

  /**
   * Sets the rollover counter of a received SSRC, e.g. when joining a stream late (RFC 3711
   * Section 3.3.1: the ROC can be signalled). Resets that SSRC's replay window.
   */
  setReceiveRolloverCounter(ssrc: number, roc: number, highestSeq: number): void {
    checkInt("roc", roc, 0, 0xffffffff);
    checkInt("highestSeq", highestSeq, 0, 0xffff);
    this.rtpRx.set(ssrc >>> 0, { roc, highestSeq, window: new ReplayWindow(this.replayWindowSize) });
  }

  /** The send-side ROC for a sequence number; advances on wrap (RFC 3711 Section 3.3.1). */
  private sendRoc(ssrc: number, seq: number): number {
    const st = this.rtpTx.get(ssrc);
    if (st === undefined) {
      this.rtpTx.set(ssrc, { roc: 0, highestSeq: seq });
      return 0;
    }
    const v = guessRolloverCounter(st.highestSeq, st.roc, seq);
    if (v > st.roc) {
      st.roc = v >>> 0;
      st.highestSeq = seq;
    } else if (v === st.roc && seq > st.highestSeq) {
      st.highestSeq = seq;
    }
    return v >>> 0;
  }

  // ---------------------------------------------------------------------------------------------
  // SRTCP (RFC 3711 Section 3.4, RFC 7714 Section 9)

  /** Protects one (compound) RTCP packet; returns a new slab view, as protectRtp. */
  protectRtcp(packet: Uint8Array): Uint8Array {
    const out = this.slab.alloc(packet.length + this.rtcpOverheadBytes);
    this.protectRtcpInto(packet, out, 0);
    return out;
  }

  /**
   * Protects one (compound) RTCP packet into dst[dstOffset ..]; returns the bytes written
   * (packet.length + rtcpOverheadBytes). In place works as for protectRtpInto.
   */
  protectRtcpInto(packet: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
    const len = packet.length;
    if (len < 8 || ((packet[0] as number) >>> 6) !== 2) {
      this.nMalformed++;
      throw new MalformedPacketError(
        len < 8
          ? `Cannot protect SRTCP: packet of ${len} bytes is shorter than the 8-byte RTCP header`
          : `Cannot protect SRTCP: RTCP version is ${(packet[0] as number) >>> 6}, allowed is 2`,
      );
    }
    const outLen = len + this.rtcpOverheadBytes;
    checkRoom("protect SRTCP", dst, dstOffset, outLen);
    const src = prepareSource(packet, dst, dstOffset, outLen);
    const ssrc = readU32(src, 4);
    const index = this.rtcpTx.get(ssrc) ?? 0;
    this.rtcpTx.set(ssrc, (index + 1) & 0x7fffffff);
    const encrypt = this.encryptRtcp;
    const word = ((encrypt ? 0x80000000 : 0) | index) >>> 0;

    if (this.rtcpAead !== undefined) {
      // header(8) || cipher || tag(16) || E||index  (RFC 7714 Section 9.2 and 17)
      const aead = this.rtcpAead;
      aead.rtcpIv(ssrc, index);
      if (encrypt) {
        const aad = this.aad;
        aad.set(src.subarray(0, 8), 0);
        writeU32(aad, 8, word);
        if (!samePlace(src, dst, dstOffset)) dst.set(src.subarray(0, 8), dstOffset);
        aead.seal(aad.subarray(0, 12), src.subarray(8, len), dst, dstOffset + 8);
      } else {
        const aad = new Uint8Array(len + 4);
        aad.set(src.subarray(0, len), 0);
        writeU32(aad, len, word);
        if (!samePlace(src, dst, dstOffset)) dst.set(src, dstOffset);
        aead.seal(aad, new Uint8Array(0), dst, dstOffset + len);
      }
      writeU32(dst, dstOffset + len + this.rtcpTagLength, word);
    } else {
      // header(8) || cipher || E||index || tag  (RFC 3711 Section 3.4), built in scratch.
      const sc = this.scratch;
      const p = sc.reserve(2 * len + 128) + 64;
      sc.bytes.set(src, p);
      if (encrypt) this.cmEncryptInScratch(this.rtcpKeystream as AesCmKeystream, p + 8, len - 8, ssrc, index);
      writeU32(sc.bytes, p + len, word);
      (this.rtcpMac as HmacSha1).signPrefixed(sc.bytes, sc.view(VIEW_HASH, p - 64, 64 + len + 4), p, len + 4, -1, dst, dstOffset + len + 4, this.rtcpTagLength);
      dst.set(sc.view(VIEW_OUT, p, len + 4), dstOffset);
    }
    this.nProtected++;
    return outLen;
  }

  /** Verifies and (if E is set) decrypts one SRTCP packet; returns the RTCP packet (a new slab view). */
  unprotectRtcp(packet: Uint8Array): Uint8Array {
    const out = this.slab.alloc(Math.max(0, packet.length - this.rtcpOverheadBytes));
    const n = this.unprotectRtcpInto(packet, out, 0);
    return n === out.length ? out : out.subarray(0, n);
  }

  /**
   * Verifies and decrypts one SRTCP packet into dst[dstOffset ..]; returns the RTCP length.
   * Same error and in-place rules as unprotectRtpInto; the replay window is over the SRTCP index.
   */
  unprotectRtcpInto(packet: Uint8Array, dst: Uint8Array, dstOffset = 0): number {
    const len = packet.length;
    const tagLen = this.rtcpTagLength;
    const bodyLen = len - tagLen - SRTCP_INDEX_BYTES;
    if (bodyLen < 8 || ((packet[0] as number) >>> 6) !== 2) {
      this.nMalformed++;
      throw new MalformedPacketError(
        bodyLen < 8
          ? `Cannot unprotect SRTCP: packet of ${len} bytes is shorter than an 8-byte RTCP header, the 4-byte SRTCP index and a ${tagLen}-byte tag`
          : `Cannot unprotect SRTCP: RTCP version is ${(packet[0] as number) >>> 6}, allowed is 2`,
      );
    }
    checkRoom("unprotect SRTCP", dst, dstOffset, bodyLen);
    const aeadSuite = this.rtcpAead !== undefined;
    const wordAt = aeadSuite ? len - SRTCP_INDEX_BYTES : bodyLen;
    const word = readU32(packet, wordAt);
    const encrypted = word >>> 31 === 1;
    const index = word & 0x7fffffff;
    const ssrc = readU32(packet, 4);
    const window = this.rtcpRx.get(ssrc);
    if (window !== undefined) {
      const verdict = window.check(index);
      if (verdict !== ReplayVerdict.Fresh) {
        this.nReplayed++;
        throw new ReplayError(
          `Cannot unprotect SRTCP: SRTCP index ${index} of SSRC ${hex32(ssrc)} ${verdict === ReplayVerdict.Duplicate ? "was already received" : `is older than the ${window.size}-packet replay window`} (RFC 3711 Section 3.3.2)`,
        );
      }
    }

    if (this.rtcpAead !== undefined) {
      const aead = this.rtcpAead;
      aead.rtcpIv(ssrc, index);
      const src = prepareSource(packet, dst, dstOffset, bodyLen);
      const tag = src.subarray(bodyLen, bodyLen + tagLen);
      let ok: boolean;
      if (encrypted) {
        const aad = this.aad;
        aad.set(src.subarray(0, 8), 0);
        writeU32(aad, 8, word);
        ok = aead.open(aad.subarray(0, 12), src.subarray(8, bodyLen), tag, dst, dstOffset + 8);
        if (ok && !samePlace(src, dst, dstOffset)) dst.set(src.subarray(0, 8), dstOffset);
      } else {
        const aad = new Uint8Array(bodyLen + 4);
        aad.set(src.subarray(0, bodyLen), 0);
        writeU32(aad, bodyLen, word);
        ok = aead.open(aad, new Uint8Array(0), tag, dst, dstOffset);
        if (ok && !samePlace(src, dst, dstOffset)) dst.set(src.subarray(0, bodyLen), dstOffset);
      }
      if (!ok) this.authFailed("SRTCP", ssrc, index);
    } else {
      const sc = this.scratch;
      const p = sc.reserve(2 * len + 128) + 64;
      sc.bytes.set(packet, p);
      if (!(this.rtcpMac as HmacSha1).verifyPrefixed(sc.bytes, sc.view(VIEW_HASH, p - 64, 64 + bodyLen + 4), p, bodyLen + 4, -1, packet, bodyLen + 4, tagLen)) {
        this.authFailed("SRTCP", ssrc, index);
      }
      if (encrypted) this.cmEncryptInScratch(this.rtcpKeystream as AesCmKeystream, p + 8, bodyLen - 8, ssrc, index);
      dst.set(sc.view(VIEW_OUT, p, bodyLen), dstOffset);
    }

    if (window === undefined) {
      const w = new ReplayWindow(this.replayWindowSize);
      w.accept(index);
      this.rtcpRx.set(ssrc, w);
    } else {
      window.accept(index);
    }
    this.nUnprotected++;
    return bodyLen;
  }

  /**
   * XORs the AES-CM keystream of packet `index` of `ssrc` onto scratch[at .. at + n), using the
   * scratch after the packet (and its 4-byte trailer) for the keystream.
   */
  private cmEncryptInScratch(ks: AesCmKeystream, at: number, n: number, ssrc: number, index: number): void {
    if (n <= 0) return;
    const k = (at + n + 4 + 15) & ~15;
    ks.copyKeystream(this.scratch.bytes, k, n, ssrc, index);
    this.scratch.xorInto(at, k, n);
  }

  private authFailed(what: "SRTP" | "SRTCP", ssrc: number, index: number): never {
    this.nAuthFailures++;
    throw new AuthenticationError(
      `Cannot unprotect ${what}: authentication tag does not match (SSRC ${hex32(ssrc)}, ${what === "SRTP" ? "packet" : "SRTCP"} index ${index})`,
    );
  }
}

function checkBytes(what: string, value: unknown, length: number, suite: string): void {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidOptionError(`Cannot use ${what}: expected a Uint8Array of ${length} bytes for ${suite}`);
  }
  if (value.length !== length) {
    throw new InvalidOptionError(`Cannot use ${what} of ${value.length} bytes: allowed is ${length} bytes for ${suite}`);
  }
}

function checkRoom(what: string, dst: Uint8Array, offset: number, needed: number): void {
  if (!Number.isInteger(offset) || offset < 0 || dst.length - offset < needed) {
    throw new RangeError(`Cannot ${what}: destination has ${Math.max(0, dst.length - offset)} bytes from offset ${offset}, needs ${needed}`);
  }
}

/** True when `packet` occupies exactly dst[dstOffset ..] (in-place use): nothing to copy. */
function samePlace(packet: Uint8Array, dst: Uint8Array, dstOffset: number): boolean {
  return packet.buffer === dst.buffer && packet.byteOffset === dst.byteOffset + dstOffset;
}

/**
 * The source to read from while writing `outLen` bytes to dst[dstOffset ..]: the packet itself,
 * unless it overlaps that destination at a different position, in which case a copy.
 */
function prepareSource(packet: Uint8Array, dst: Uint8Array, dstOffset: number, outLen: number): Uint8Array {
  if (packet.buffer !== dst.buffer) return packet;
  const a = packet.byteOffset;
  const b = dst.byteOffset + dstOffset;
  if (a === b || a + packet.length <= b || b + outLen <= a) return packet;
  return packet.slice();
}

/**
 * Length of the RTP header (fixed header, CSRCs, header extension; RFC 3550 Section 5.1 and
 * 5.3.1) within packet[0 .. len), or a negative code: -1 too short, -2 not version 2,
 * -3 CSRC list past the end, -4 extension past the end.
 */
function rtpHeaderLength(p: Uint8Array, len: number): number {
  if (len < 12) return -1;
  const b0 = p[0] as number;
  if (b0 >>> 6 !== 2) return -2;
  let n = 12 + ((b0 & 0x0f) << 2);
  if (n > len) return -3;
  if (b0 & 0x10) {
    if (n + 4 > len) return -4;
    n += 4 + ((((p[n + 2] as number) << 8) | (p[n + 3] as number)) << 2);
    if (n > len) return -4;
  }
  return n;
}

function rtpHeaderProblem(p: Uint8Array, len: number, code: number): string {
  switch (code) {
    case -1:
      return `packet of ${len} bytes is shorter than the 12-byte RTP header`;
    case -2:
      return `RTP version is ${(p[0] as number) >>> 6}, allowed is 2`;
    case -3:
      return `${(p[0] as number) & 0x0f} CSRCs do not fit in ${len} bytes`;
    default:
      return `header extension does not fit in ${len} bytes`;
  }
}

/** dst[dstOffset + i] = src[srcOffset + i] for i < n: a loop beats subarray + set for a header. */
function copyBytes(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i] as number;
}

function readU32(p: Uint8Array, o: number): number {
  return (((p[o] as number) << 24) | ((p[o + 1] as number) << 16) | ((p[o + 2] as number) << 8) | (p[o + 3] as number)) >>> 0;
}

function writeU32(p: Uint8Array, o: number, v: number): void {
  p[o] = v >>> 24;
  p[o + 1] = (v >>> 16) & 0xff;
  p[o + 2] = (v >>> 8) & 0xff;
  p[o + 3] = v & 0xff;
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
}
