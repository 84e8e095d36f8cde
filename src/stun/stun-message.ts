/**
 * A STUN message (RFC 8489 5, 14): a 20-byte header and type-length-value attributes, each
 * padded to 4 bytes.
 *
 * ```
 * |0 0|     STUN Message Type     |         Message Length        |
 * |                         Magic Cookie                          |
 * |                     Transaction ID (96 bits)                  |
 * |      Type (attribute)         |            Length             |
 * |                         Value (variable)                ....
 * ```
 * Parsing validates the header, the attribute layout, the value of every attribute this code
 * knows (so the typed getters never throw) and FINGERPRINT; it records MESSAGE-INTEGRITY and
 * MESSAGE-INTEGRITY-SHA256 so `verifyIntegrity(key)` can check them later, when the key is
 * known (long-term keys depend on USERNAME and REALM of the message). Attributes after
 * MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored
 * (RFC 8489 14.5); unknown comprehension-optional attributes are kept as raw values, unknown
 * comprehension-required ones are listed in `unknownComprehensionRequired` for the 420
 * response (RFC 8489 6.3.1).
 */
import { InvalidOptionError, MalformedPacketError } from "../errors.js";
import { decodeErrorCode, encodeErrorCode, type StunErrorCode } from "./error-code.js";
import { stunFingerprint } from "./fingerprint.js";
import { checkUseCandidate, decodePriority, decodeTieBreaker, encodePriority, encodeTieBreaker } from "./ice-attributes.js";
import { decodeMappedAddress, encodeMappedAddress } from "./mapped-address.js";
import { hmacSha1, hmacSha256, timingSafeEqualPrefix } from "./message-integrity.js";
import { decodePasswordAlgorithms, encodePasswordAlgorithms, type PasswordAlgorithmEntry } from "./password-algorithms.js";
import { isComprehensionRequired, isKnownAttributeType, StunAttributeType as T } from "./stun-attribute-type.js";
import { decodeMessageType, encodeMessageType, type StunClass } from "./stun-message-type.js";
import { decodeText, encodeText } from "./text-attribute.js";
import type { TransportAddress } from "./transport-address.js";
import { decodeUnknownAttributes, encodeUnknownAttributes } from "./unknown-attributes.js";
import { decodeXorAddress, encodeXorAddress, MAGIC_COOKIE } from "./xor-mapped-address.js";

/** Size of the STUN header in bytes (RFC 8489 5). */
export const STUN_HEADER_BYTES = 20;

/** One attribute as carried on the wire: type and unpadded value. */
export interface StunAttribute {
  type: number;
  value: Uint8Array;
}

/** What `serialize` appends after the attributes (RFC 8489 14.5-14.7). */
export interface StunSerializeOptions {
  /** Key for MESSAGE-INTEGRITY (HMAC-SHA1). */
  integrityKey?: Uint8Array;
  /** Key for MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, 32 bytes). May be used with integrityKey. */
  integritySha256Key?: Uint8Array;
  /** Append FINGERPRINT. Default false. */
  fingerprint?: boolean;
  /** Byte written into attribute padding. Default 0 (RFC 8489 14: any value; RFC 5769 uses 0x20). */
  paddingByte?: number;
}

/** Constructor fields of a StunMessage. */
export interface StunMessageInit {
  messageClass: StunClass;
  method: number;
  /** 12 bytes (RFC 8489 5). */
  transactionId: Uint8Array;
  attributes?: StunAttribute[];
}

const TEXT_NAMES = new Map<number, string>([
  [T.username, "USERNAME"],
  [T.realm, "REALM"],
  [T.nonce, "NONCE"],
  [T.software, "SOFTWARE"],
  [T.alternateDomain, "ALTERNATE-DOMAIN"],
]);

/** A parsed or to-be-sent STUN message. */
export class StunMessage {
  messageClass: StunClass;
  /** 12-bit method (StunMethod). */
  method: number;
  /** The 96-bit transaction ID, 12 bytes. */
  readonly transactionId: Uint8Array;
  /** Attributes in wire order, without MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT. */
  readonly attributes: StunAttribute[];
  /** Unknown comprehension-required attribute types met while parsing (RFC 8489 6.3.1). */
  readonly unknownComprehensionRequired: number[] = [];
  /** Parsed: whether MESSAGE-INTEGRITY / -SHA256 / FINGERPRINT were present. */
  hasMessageIntegrity = false;
  hasMessageIntegritySha256 = false;
  hasFingerprint = false;
  private raw: Uint8Array | undefined;
  private miOffset = -1;
  private mi256Offset = -1;
  private mi256Length = 0;

  constructor(init: StunMessageInit) {
    if (init.transactionId.length !== 12) throw new InvalidOptionError(`Cannot make a STUN message: transaction ID of ${init.transactionId.length} bytes, need 12`);
    this.messageClass = init.messageClass;
    this.method = init.method & 0xfff;
    this.transactionId = init.transactionId;
    this.attributes = init.attributes ?? [];
  }

  /** Parses one STUN message that fills `bytes` exactly. Throws MalformedPacketError. */
  static parse(bytes: Uint8Array): StunMessage {
    if (bytes.length < STUN_HEADER_BYTES) throw new MalformedPacketError(`Cannot parse STUN message: ${bytes.length} bytes, the header alone is 20`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = view.getUint16(0);
    if ((type & 0xc000) !== 0) throw new MalformedPacketError("Cannot parse STUN message: the two top bits of the type are not 0");
    const length = view.getUint16(2);
    if (length % 4 !== 0) throw new MalformedPacketError(`Cannot parse STUN message: length ${length} is not a multiple of 4`);
    if (view.getUint32(4) !== MAGIC_COOKIE) throw new MalformedPacketError("Cannot parse STUN message: no magic cookie 0x2112A442");
    if (STUN_HEADER_BYTES + length !== bytes.length) throw new MalformedPacketError(`Cannot parse STUN message: length field says ${length} bytes of attributes, the datagram has ${bytes.length - STUN_HEADER_BYTES}`);
    const { method, messageClass } = decodeMessageType(type);
    const msg = new StunMessage({ messageClass, method, transactionId: bytes.slice(8, 20) });
    msg.raw = bytes;
    let at = STUN_HEADER_BYTES;
    while (at < bytes.length) {
      if (at + 4 > bytes.length) throw new MalformedPacketError(`Cannot parse STUN message: truncated attribute header at byte ${at}`);
      const atype = view.getUint16(at);
      const alen = view.getUint16(at + 2);
      const end = at + 4 + alen;
      const next = at + 4 + ((alen + 3) & ~3);
      if (next > bytes.length) throw new MalformedPacketError(`Cannot parse STUN message: attribute 0x${atype.toString(16)} of ${alen} bytes overruns the message at byte ${at}`);
      const value = bytes.subarray(at + 4, end);
      if (msg.hasFingerprint) throw new MalformedPacketError("Cannot parse STUN message: attribute after FINGERPRINT (it must be last)");
      if (atype === T.fingerprint) {
        if (alen !== 4) throw new MalformedPacketError(`Cannot parse FINGERPRINT: ${alen} bytes, need 4`);
        const expect = stunFingerprint(withLength(bytes.subarray(0, at), at + 8 - STUN_HEADER_BYTES));
        if (view.getUint32(at + 4) !== expect) throw new MalformedPacketError("Cannot parse STUN message: FINGERPRINT does not match");
        msg.hasFingerprint = true;
      } else if (atype === T.messageIntegritySha256) {
        if (msg.hasMessageIntegritySha256) { /* ignored: only the first counts */ }
        else {
          if (alen < 16 || alen > 32 || alen % 4 !== 0) throw new MalformedPacketError(`Cannot parse MESSAGE-INTEGRITY-SHA256: ${alen} bytes; allowed are 16-32 in steps of 4`);
          msg.hasMessageIntegritySha256 = true;
          msg.mi256Offset = at;
          msg.mi256Length = alen;
        }
      } else if (msg.hasMessageIntegritySha256) {
        // RFC 8489 14.6: everything after MESSAGE-INTEGRITY-SHA256 but FINGERPRINT is ignored.
      } else if (atype === T.messageIntegrity) {
        if (!msg.hasMessageIntegrity) {
          if (alen !== 20) throw new MalformedPacketError(`Cannot parse MESSAGE-INTEGRITY: ${alen} bytes, need 20`);
          msg.hasMessageIntegrity = true;
          msg.miOffset = at;
        }
      } else if (msg.hasMessageIntegrity) {
        // RFC 8489 14.5: ignored after MESSAGE-INTEGRITY.
      } else {
        checkKnownValue(atype, value, msg.transactionId);
        if (isComprehensionRequired(atype) && !isKnownAttributeType(atype)) msg.unknownComprehensionRequired.push(atype);
        msg.attributes.push({ type: atype, value });
      }
      at = next;
    }
    return msg;
  }

  /** The value of the first attribute of `type`, or undefined. */
  get(type: number): Uint8Array | undefined {
    for (const a of this.attributes) if (a.type === type) return a.value;
    return undefined;
  }

  /** True when an attribute of `type` is present. */
  has(type: number): boolean {
    return this.get(type) !== undefined;
  }

  /** Appends a raw attribute (value unpadded, at most 65535 bytes). */
  add(type: number, value: Uint8Array): this {
    if (value.length > 0xffff) throw new MalformedPacketError(`Cannot add attribute 0x${type.toString(16)}: ${value.length} bytes, at most 65535`);
    this.attributes.push({ type, value });
    return this;
  }

  /** Appends a text attribute (USERNAME, REALM, NONCE, SOFTWARE). */
  addText(type: number, text: string): this {
    return this.add(type, encodeText(text));
  }

  /** Text attribute value, or undefined. */
  getText(type: number): string | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeText(v, type, TEXT_NAMES.get(type) ?? "text attribute");
  }

  /** Appends an XOR address attribute (XOR-MAPPED-ADDRESS, XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS). */
  addXorAddress(type: number, a: TransportAddress): this {
    return this.add(type, encodeXorAddress(a, this.transactionId));
  }

  /** XOR address attribute value, or undefined. */
  getXorAddress(type: number = T.xorMappedAddress): TransportAddress | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeXorAddress(v, this.transactionId);
  }

  /** Every XOR address attribute of `type` (CreatePermission may carry several XOR-PEER-ADDRESS). */
  getAllXorAddresses(type: number): TransportAddress[] {
    return this.attributes.filter((a) => a.type === type).map((a) => decodeXorAddress(a.value, this.transactionId));
  }

  /** Appends a plain address attribute (MAPPED-ADDRESS, ALTERNATE-SERVER). */
  addAddress(type: number, a: TransportAddress): this {
    return this.add(type, encodeMappedAddress(a));
  }

  /** Plain address attribute value, or undefined. */
  getAddress(type: number = T.mappedAddress): TransportAddress | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeMappedAddress(v);
  }

  /** Appends ERROR-CODE. */
  addErrorCode(e: StunErrorCode): this {
    return this.add(T.errorCode, encodeErrorCode(e));
  }

  /** ERROR-CODE value, or undefined. */
  get errorCode(): StunErrorCode | undefined {
    const v = this.get(T.errorCode);
    return v === undefined ? undefined : decodeErrorCode(v);
  }

  /** UNKNOWN-ATTRIBUTES value, or undefined. */
  get unknownAttributes(): number[] | undefined {
    const v = this.get(T.unknownAttributes);
    return v === undefined ? undefined : decodeUnknownAttributes(v);
  }

  /** Appends UNKNOWN-ATTRIBUTES. */
  addUnknownAttributes(types: readonly number[]): this {
    return this.add(T.unknownAttributes, encodeUnknownAttributes(types));
  }

  /** PASSWORD-ALGORITHMS entries, or undefined. */
  get passwordAlgorithms(): PasswordAlgorithmEntry[] | undefined {
    const v = this.get(T.passwordAlgorithms);
    return v === undefined ? undefined : decodePasswordAlgorithms(v);
  }

  /** Appends PASSWORD-ALGORITHMS (or, with `single`, PASSWORD-ALGORITHM). */
  addPasswordAlgorithms(entries: readonly PasswordAlgorithmEntry[], single = false): this {
    return this.add(single ? T.passwordAlgorithm : T.passwordAlgorithms, encodePasswordAlgorithms(entries));
  }

  /** A 32-bit unsigned attribute such as LIFETIME (RFC 8656 18.2) or PRIORITY, or undefined. */
  getUint32(type: number): number | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodePriority(v);
  }

  /** Appends a 32-bit unsigned attribute (LIFETIME, PRIORITY). */
  addUint32(type: number, value: number): this {
    return this.add(type, encodePriority(value));
  }

  /** ICE-CONTROLLING or ICE-CONTROLLED tie-breaker (RFC 8445 7.1.1), or undefined. */
  getTieBreaker(type: number): bigint | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeTieBreaker(v);
  }

  /** Appends ICE-CONTROLLING or ICE-CONTROLLED. */
  addTieBreaker(type: number, tieBreaker: bigint): this {
    return this.add(type, encodeTieBreaker(tieBreaker));
  }

  /** Size in bytes of `serialize(options)`. */
  byteLength(options: StunSerializeOptions = {}): number {
    let n = STUN_HEADER_BYTES;
    for (const a of this.attributes) n += 4 + ((a.value.length + 3) & ~3);
    if (options.integrityKey) n += 24;
    if (options.integritySha256Key) n += 36;
    if (options.fingerprint) n += 8;
    return n;
  }

  /** The message as bytes, with MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT as `options` ask. */
  serialize(options: StunSerializeOptions = {}): Uint8Array {
    const out = new Uint8Array(this.byteLength(options));
    this.serializeInto(out, 0, options);
    return out;
  }

  /** Writes the message at `dst[offset]`; returns the bytes written. */
  serializeInto(dst: Uint8Array, offset: number, options: StunSerializeOptions = {}): number {
    const total = this.byteLength(options);
    if (offset < 0 || offset + total > dst.length) throw new MalformedPacketError(`Cannot serialize STUN message: ${total} bytes do not fit at offset ${offset} of ${dst.length}`);
    if (total - STUN_HEADER_BYTES > 0xffff) throw new MalformedPacketError(`Cannot serialize STUN message: ${total} bytes, at most 65555`);
    const pad = options.paddingByte ?? 0;
    const v = new DataView(dst.buffer, dst.byteOffset + offset, total);
    v.setUint16(0, encodeMessageType(this.method, this.messageClass));
    v.setUint32(4, MAGIC_COOKIE);
    dst.set(this.transactionId, offset + 8);
    let at = STUN_HEADER_BYTES;
    for (const a of this.attributes) {
      v.setUint16(at, a.type);
      v.setUint16(at + 2, a.value.length);
      dst.set(a.value, offset + at + 4);
      const padded = (a.value.length + 3) & ~3;
      for (let i = a.value.length; i < padded; i++) dst[offset + at + 4 + i] = pad;
      at += 4 + padded;
    }
    const msg = dst.subarray(offset, offset + total);
    if (options.integrityKey) {
      v.setUint16(2, at + 24 - STUN_HEADER_BYTES);
      const mac = hmacSha1(options.integrityKey, msg.subarray(0, at));
      v.setUint16(at, T.messageIntegrity);
      v.setUint16(at + 2, 20);
      msg.set(mac, at + 4);
      at += 24;
    }
    if (options.integritySha256Key) {
      v.setUint16(2, at + 36 - STUN_HEADER_BYTES);
      const mac = hmacSha256(options.integritySha256Key, msg.subarray(0, at));
      v.setUint16(at, T.messageIntegritySha256);
      v.setUint16(at + 2, 32);
      msg.set(mac, at + 4);
      at += 36;
    }
    if (options.fingerprint) {
      v.setUint16(2, at + 8 - STUN_HEADER_BYTES);
      const crc = stunFingerprint(msg.subarray(0, at));
      v.setUint16(at, T.fingerprint);
      v.setUint16(at + 2, 4);
      v.setUint32(at + 4, crc);
      at += 8;
    }
    v.setUint16(2, at - STUN_HEADER_BYTES);
    return total;
  }

  /**
   * Checks the integrity of a parsed message with `key` (RFC 8489 9.1.4, 9.2.4):
   * MESSAGE-INTEGRITY-SHA256 when present, else MESSAGE-INTEGRITY. Constant-time compare.
   * False when the message carries neither or was not parsed.
   */
  verifyIntegrity(key: Uint8Array): boolean {
    const raw = this.raw;
    if (raw === undefined) return false;
    if (this.mi256Offset >= 0) {
      const at = this.mi256Offset;
      const mac = hmacSha256(key, withLength(raw.subarray(0, at), at + 4 + this.mi256Length - STUN_HEADER_BYTES));
      return timingSafeEqualPrefix(raw.subarray(at + 4, at + 4 + this.mi256Length), mac);
    }
    if (this.miOffset >= 0) {
      const at = this.miOffset;
      const mac = hmacSha1(key, withLength(raw.subarray(0, at), at + 24 - STUN_HEADER_BYTES));
      return timingSafeEqualPrefix(raw.subarray(at + 4, at + 24), mac);
    }
    return false;
  }

  /** True for a request or indication, false for responses. */
  get isRequest(): boolean {
    return this.messageClass === 0;
  }

  /** Lowercase hex of the transaction ID (a map key). */
  get transactionKey(): string {
    return transactionKey(this.transactionId);
  }
}

/** Lowercase hex of a 12-byte transaction ID. */
export function transactionKey(id: Uint8Array): string {
  let s = "";
  for (let i = 0; i < id.length; i++) s += id[i]!.toString(16).padStart(2, "0");
  return s;
}

/** A copy of the header+attributes prefix with the length field set to `length`. */
function withLength(prefix: Uint8Array, length: number): Uint8Array {
  const copy = prefix.slice();
  copy[2] = (length >> 8) & 0xff;
  copy[3] = length & 0xff;
  return copy;
}

/** Validates the value of a known attribute so the typed getters cannot throw later. */
function checkKnownValue(type: number, value: Uint8Array, transactionId: Uint8Array): void {
  switch (type) {
    case T.mappedAddress:
    case T.alternateServer:
      decodeMappedAddress(value);
      return;
    case T.xorMappedAddress:
    case T.xorPeerAddress:
    case T.xorRelayedAddress:
      decodeXorAddress(value, transactionId);
      return;
    case T.username:
    case T.realm:
    case T.nonce:
    case T.software:
    case T.alternateDomain:
      decodeText(value, type, TEXT_NAMES.get(type)!);
      return;
    case T.errorCode:
      decodeErrorCode(value);
      return;
    case T.unknownAttributes:
      decodeUnknownAttributes(value);
      return;
    case T.passwordAlgorithms:
      decodePasswordAlgorithms(value);
      return;
    case T.passwordAlgorithm:
      if (decodePasswordAlgorithms(value).length !== 1) throw new MalformedPacketError("Cannot parse PASSWORD-ALGORITHM: need exactly one entry");
      return;
    case T.userhash:
      if (value.length !== 32) throw new MalformedPacketError(`Cannot parse USERHASH: ${value.length} bytes, need 32`);
      return;
    case T.priority:
    case T.lifetime:
      decodePriority(value);
      return;
    case T.iceControlled:
    case T.iceControlling:
      decodeTieBreaker(value);
      return;
    case T.useCandidate:
    case T.dontFragment:
      checkUseCandidate(value);
      return;
    case T.channelNumber:
    case T.requestedTransport:
    case T.requestedAddressFamily:
      if (value.length !== 4) throw new MalformedPacketError(`Cannot parse attribute 0x${type.toString(16)}: ${value.length} bytes, need 4`);
      return;
    case T.evenPort:
      if (value.length !== 1) throw new MalformedPacketError(`Cannot parse EVEN-PORT: ${value.length} bytes, need 1`);
      return;
    case T.reservationToken:
      if (value.length !== 8) throw new MalformedPacketError(`Cannot parse RESERVATION-TOKEN: ${value.length} bytes, need 8`);
      return;
    default:
      return;
  }
}
