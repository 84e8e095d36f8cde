/**
 * The byte layout shared by the key-exchange messages (KeyOffer, KeyAnswer, KeyConfirm), all
 * big-endian:
 *
 *   version(1) = 1 | type(1) | epoch(4) | ... type-specific fields ...
 *
 * and the bounded reader and writer they use. Every length is checked before it is read; a
 * message must end exactly where its last field ends. Internal to src/e2ee.
 */
import { MalformedPacketError } from "../errors.js";
import { SRTP_SUITES, type SrtpSuiteName } from "../srtp/srtp-suite.js";

/** The version byte this code writes and reads. */
export const KEY_MESSAGE_VERSION = 1;
/** Type bytes. */
export const KeyMessageType = Object.freeze({ offer: 1, answer: 2, confirm: 3 } as const);
/** No key message is longer than this; longer input is refused before parsing. */
export const MAX_KEY_MESSAGE_BYTES = 1024;
/** Nonce length of offers and answers. */
export const KEY_NONCE_BYTES = 16;
/** Most (SSRC, switch index) pairs one message can carry. */
export const MAX_SWITCH_INDEXES = 16;
/** Call ids: 1..64 bytes of printable ASCII (0x21..0x7e). */
export const MAX_CALL_ID_BYTES = 64;

/**
 * From which SRTP packet index (RFC 3711 Section 3.3.1: i = 2^16 * ROC + SEQ, 48 bits) the sender
 * of SSRC `ssrc` protects with the new epoch's keys.
 */
export interface SwitchIndex {
  readonly ssrc: number;
  readonly index: number;
}

/** Suites by their DTLS-SRTP protection profile number (RFC 5764 4.1.2, RFC 7714 14.2): the wire id. */
const SUITE_BY_PROFILE = new Map<number, SrtpSuiteName>(Object.values(SRTP_SUITES).map((s) => [s.dtlsProfile, s.name]));

/** Throws MalformedPacketError unless `callId` is 1..64 printable ASCII characters. */
export function checkCallId(callId: string): void {
  if (typeof callId !== "string" || !/^[\x21-\x7e]{1,64}$/.test(callId)) {
    throw new MalformedPacketError(`Cannot use call id ${JSON.stringify(callId)}: allowed is 1 to ${MAX_CALL_ID_BYTES} printable ASCII characters without spaces`);
  }
}

/** Throws MalformedPacketError unless the list has at most 16 distinct SSRCs with 48-bit indexes. */
export function checkSwitchIndexes(list: readonly SwitchIndex[]): void {
  if (list.length > MAX_SWITCH_INDEXES) throw new MalformedPacketError(`Cannot use ${list.length} switch indexes: allowed is at most ${MAX_SWITCH_INDEXES}`);
  const seen = new Set<number>();
  for (const s of list) {
    if (!Number.isInteger(s.ssrc) || s.ssrc < 0 || s.ssrc > 0xffffffff) throw new MalformedPacketError(`Cannot use switch SSRC ${s.ssrc}: allowed is a 32-bit unsigned integer`);
    if (!Number.isInteger(s.index) || s.index < 0 || s.index > 2 ** 48 - 1) throw new MalformedPacketError(`Cannot use switch index ${s.index}: allowed is a 48-bit SRTP packet index`);
    if (seen.has(s.ssrc)) throw new MalformedPacketError(`Cannot use switch indexes: SSRC ${s.ssrc} appears twice`);
    seen.add(s.ssrc);
  }
}

/** A bounded big-endian reader over one message; every failure is a MalformedPacketError. */
export class KeyMessageReader {
  private pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.pos;
  }

  fail(reason: string): never {
    throw new MalformedPacketError(`Cannot parse ${this.what}: ${reason}`);
  }

  private need(n: number, field: string): void {
    if (this.pos + n > this.bytes.length) this.fail(`truncated: ${field} needs ${n} bytes at offset ${this.pos}, message has ${this.bytes.length}`);
  }

  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++] as number;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.bytes;
    const v = ((b[this.pos] as number) << 8) | (b[this.pos + 1] as number);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number)) >>> 0;
  }

  /** An unsigned integer of 6 bytes (48-bit). */
  u48(field: string): number {
    const hi = this.u16(field);
    return hi * 2 ** 32 + this.u32(field);
  }

  /** An unsigned 8-byte integer that must be below 2^53. */
  u64(field: string): number {
    const hi = this.u32(field);
    const lo = this.u32(field);
    if (hi >= 2 ** 21) this.fail(`${field} ${hi} * 2^32 is above 2^53`);
    return hi * 2 ** 32 + lo;
  }

  /** A copy of the next n bytes. */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Checks version and type, returns the epoch. */
  header(type: number): number {
    const version = this.u8("version");
    if (version !== KEY_MESSAGE_VERSION) this.fail(`version is ${version}, allowed is ${KEY_MESSAGE_VERSION}`);
    const t = this.u8("type");
    if (t !== type) this.fail(`type is ${t}, expected ${type}`);
    return this.u32("epoch");
  }

  callId(): string {
    const n = this.u8("call id length");
    if (n < 1 || n > MAX_CALL_ID_BYTES) this.fail(`call id length is ${n}, allowed is 1 to ${MAX_CALL_ID_BYTES}`);
    const b = this.take(n, "call id");
    for (const c of b) if (c < 0x21 || c > 0x7e) this.fail("call id has a byte outside printable ASCII");
    return String.fromCharCode(...b);
  }

  suite(field: string): SrtpSuiteName {
    const profile = this.u16(field);
    const name = SUITE_BY_PROFILE.get(profile);
    if (name === undefined) this.fail(`${field} 0x${profile.toString(16).padStart(4, "0")} is not a suite rtcpipe implements (allowed: ${[...SUITE_BY_PROFILE.keys()].join(", ")})`);
    return name;
  }

  switchIndexes(): SwitchIndex[] {
    const n = this.u8("switch index count");
    if (n > MAX_SWITCH_INDEXES) this.fail(`switch index count is ${n}, allowed is at most ${MAX_SWITCH_INDEXES}`);
    const out: SwitchIndex[] = [];
    const seen = new Set<number>();
    for (let i = 0; i < n; i++) {
      const ssrc = this.u32("switch SSRC");
      if (seen.has(ssrc)) this.fail(`switch SSRC ${ssrc} appears twice`);
      seen.add(ssrc);
      out.push({ ssrc, index: this.u48("switch index") });
    }
    return out;
  }

  end(): void {
    if (this.pos !== this.bytes.length) this.fail(`${this.bytes.length - this.pos} bytes after the last field`);
  }
}

/** Checks the overall size before parsing. */
export function checkMessageSize(bytes: Uint8Array, what: string, min: number): void {
  if (!(bytes instanceof Uint8Array)) throw new MalformedPacketError(`Cannot parse ${what}: expected a Uint8Array`);
  if (bytes.length > MAX_KEY_MESSAGE_BYTES) throw new MalformedPacketError(`Cannot parse ${what}: ${bytes.length} bytes is oversized, allowed is at most ${MAX_KEY_MESSAGE_BYTES}`);
  if (bytes.length < min) throw new MalformedPacketError(`Cannot parse ${what}: truncated, ${bytes.length} bytes is shorter than the ${min}-byte minimum`);
}

/** A growable big-endian writer. */
export class KeyMessageWriter {
  private buf = new Uint8Array(512);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }

  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }

  u48(v: number): this {
    return this.u16(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }

  u64(v: number): this {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v % 2 ** 32);
  }

  put(bytes: Uint8Array): this {
    this.room(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  header(type: number, epoch: number): this {
    return this.u8(KEY_MESSAGE_VERSION).u8(type).u32(epoch);
  }

  callId(callId: string): this {
    checkCallId(callId);
    this.u8(callId.length);
    for (let i = 0; i < callId.length; i++) this.u8(callId.charCodeAt(i));
    return this;
  }

  suite(name: SrtpSuiteName): this {
    return this.u16(SRTP_SUITES[name].dtlsProfile);
  }

  switchIndexes(list: readonly SwitchIndex[]): this {
    checkSwitchIndexes(list);
    this.u8(list.length);
    for (const s of list) this.u32(s.ssrc).u48(s.index);
    return this;
  }

  /** The bytes written so far (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** ASCII bytes of a domain-separation label. */
export function label(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
