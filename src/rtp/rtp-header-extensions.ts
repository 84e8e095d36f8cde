/**
 * RTP header extensions: the generic RFC 3550 5.3.1 block and the RFC 8285 element forms,
 * one-byte (profile 0xBEDE, RFC 8285 4.2) and two-byte (profile 0x100X, RFC 8285 4.3).
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";

/** "defined by profile" value of the one-byte form (RFC 8285 4.2). */
export const ONE_BYTE_PROFILE = 0xbede;
/** Two-byte form profiles are 0x1000..0x100F; the low 4 bits are "appbits" (RFC 8285 4.3). */
export const TWO_BYTE_PROFILE = 0x1000;

/** One RFC 8285 element: a local id and its data. */
export interface RtpHeaderExtensionElement {
  id: number;
  data: Uint8Array;
}

export type RtpHeaderExtensionForm = "one-byte" | "two-byte" | "raw";

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse RTP header extension: ${reason}`);
}

/**
 * The header extension block of one RTP packet. For RFC 8285 profiles it holds the elements
 * (get/set by id); for any other profile it keeps the profile value and the raw data.
 */
export class RtpHeaderExtensions {
  /** The 16-bit "defined by profile" field (0xBEDE, 0x100X, or anything else for "raw"). */
  profile: number;
  /** RFC 8285 elements in wire order (empty for the raw form). */
  readonly elements: RtpHeaderExtensionElement[];
  /** Extension data of a non-RFC 8285 profile (RFC 3550 5.3.1), a multiple of 4 bytes. */
  rawData: Uint8Array;

  constructor(profile = ONE_BYTE_PROFILE, elements: RtpHeaderExtensionElement[] = [], rawData: Uint8Array = new Uint8Array(0)) {
    this.profile = profile & 0xffff;
    this.elements = elements;
    this.rawData = rawData;
  }

  get form(): RtpHeaderExtensionForm {
    if (this.profile === ONE_BYTE_PROFILE) return "one-byte";
    if ((this.profile & 0xfff0) === TWO_BYTE_PROFILE) return "two-byte";
    return "raw";
  }

  /**
   * Checks an extension block without allocating. `data` is the extension data after the
   * 4-byte profile/length word. Throws MalformedPacketError.
   */
  static validate(profile: number, data: Uint8Array): void {
    if (data.length % 4 !== 0) fail(`length ${data.length} is not a multiple of 4`);
    if (profile === ONE_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const b = data[i]!;
        if (b >> 4 === 0) {
          // Id 0 is padding (RFC 8285 4.2); like libwebrtc, skip the byte whatever its length nibble.
          i++;
          continue;
        }
        const id = b >> 4;
        // RFC 8285 4.2: id 15 ends processing of the whole block.
        if (id === 15) return;
        const len = (b & 0x0f) + 1;
        if (i + 1 + len > data.length) fail(`element id ${id} of ${len} bytes overruns the block`);
        i += 1 + len;
      }
    } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const id = data[i]!;
        if (id === 0) {
          i++;
          continue;
        }
        if (i + 2 > data.length) fail(`element id ${id} has no length byte`);
        const len = data[i + 1]!;
        if (i + 2 + len > data.length) fail(`element id ${id} of ${len} bytes overruns the block`);
        i += 2 + len;
      }
    }
  }

  /**
   * Finds element `id` in a raw extension block without allocating; returns a view or
   * undefined. Assumes the block passed `validate`.
   */
  static find(profile: number, data: Uint8Array, id: number): Uint8Array | undefined {
    if (profile === ONE_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const b = data[i]!;
        if (b >> 4 === 0) {
          // Id 0 is padding (RFC 8285 4.2); like libwebrtc, skip the byte whatever its length nibble.
          i++;
          continue;
        }
        const eid = b >> 4;
        if (eid === 15) return undefined;
        const len = (b & 0x0f) + 1;
        if (eid === id) return data.subarray(i + 1, i + 1 + len);
        i += 1 + len;
      }
    } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const eid = data[i]!;
        if (eid === 0) {
          i++;
          continue;
        }
        const len = data[i + 1] ?? 0;
        if (eid === id) return data.subarray(i + 2, i + 2 + len);
        i += 2 + len;
      }
    }
    return undefined;
  }

  /**
   * Parses a block starting at its 16-bit profile field (RFC 3550 5.3.1): profile, length in
   * 32-bit words, data. Element data are views into `bytes`.
   */
  static parse(bytes: Uint8Array): RtpHeaderExtensions {
    if (bytes.length < 4) fail(`${bytes.length} bytes is shorter than the 4-byte extension header`);
    const profile = (bytes[0]! << 8) | bytes[1]!;
    const words = (bytes[2]! << 8) | bytes[3]!;
    if (4 + words * 4 > bytes.length) fail(`length of ${words} words overruns the ${bytes.length - 4} bytes available`);
    return RtpHeaderExtensions.fromData(profile, bytes.subarray(4, 4 + words * 4));
  }

  /** Builds from the profile value and the data after the length word (views kept). */
  static fromData(profile: number, data: Uint8Array): RtpHeaderExtensions {
    RtpHeaderExtensions.validate(profile, data);
    const ext = new RtpHeaderExtensions(profile);
    if (profile === ONE_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const b = data[i]!;
        if (b >> 4 === 0) {
          // Id 0 is padding (RFC 8285 4.2); like libwebrtc, skip the byte whatever its length nibble.
          i++;
          continue;
        }
        const id = b >> 4;
        if (id === 15) break;
        const len = (b & 0x0f) + 1;
        ext.elements.push({ id, data: data.subarray(i + 1, i + 1 + len) });
        i += 1 + len;
      }
    } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
      let i = 0;
      while (i < data.length) {
        const id = data[i]!;
        if (id === 0) {
          i++;
          continue;
        }
        const len = data[i + 1]!;
        ext.elements.push({ id, data: data.subarray(i + 2, i + 2 + len) });
        i += 2 + len;
      }
    } else {
      ext.rawData = data;
    }
    return ext;
  }

  /** The data of element `id`, or undefined. */
  get(id: number): Uint8Array | undefined {
    for (const e of this.elements) if (e.id === id) return e.data;
    return undefined;
  }

  /**
   * Sets element `id` (RFC 8285: 1-14 in the one-byte form, 1-255 in the two-byte form).
   * Switches a one-byte block to the two-byte form when the id or the size (0 or more than 16
   * bytes) needs it (RFC 8285 4.3). Throws InvalidOptionError on a raw-profile block.
   */
  set(id: number, data: Uint8Array): this {
    if (this.form === "raw") throw new InvalidOptionError(`Cannot set extension id ${id}: profile 0x${this.profile.toString(16)} is not RFC 8285`);
    if (!Number.isInteger(id) || id < 1 || id > 255) throw new InvalidOptionError(`Cannot set extension id ${id}: allowed is an integer from 1 to 255`);
    if (data.length > 255) throw new InvalidOptionError(`Cannot set extension id ${id}: ${data.length} bytes, allowed is at most 255`);
    if (this.form === "one-byte" && (id > 14 || data.length === 0 || data.length > 16)) this.profile = TWO_BYTE_PROFILE;
    for (const e of this.elements) {
      if (e.id === id) {
        e.data = data;
        return this;
      }
    }
    this.elements.push({ id, data });
    return this;
  }

  /** Removes element `id`; returns whether it was there. */
  delete(id: number): boolean {
    const i = this.elements.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.elements.splice(i, 1);
    return true;
  }

  /** Size of the extension data, excluding the 4-byte profile/length word, padded to 4. */
  get dataLength(): number {
    let n = 0;
    const form = this.form;
    if (form === "raw") return this.rawData.length;
    for (const e of this.elements) n += (form === "one-byte" ? 1 : 2) + e.data.length;
    return (n + 3) & ~3;
  }

  /** Size on the wire including the 4-byte profile/length word. */
  get byteLength(): number {
    return 4 + this.dataLength;
  }

  /** Writes the block (profile, length, data, zero padding); returns bytes written. */
  serializeInto(dst: Uint8Array, offset: number): number {
    const dataLength = this.dataLength;
    const total = 4 + dataLength;
    if (offset + total > dst.length) throw new RangeError(`Cannot serialize RTP header extension: needs ${total} bytes at offset ${offset}, buffer has ${dst.length}`);
    const form = this.form;
    if (form === "one-byte") {
      for (const e of this.elements) {
        if (e.id < 1 || e.id > 14 || e.data.length < 1 || e.data.length > 16) {
          throw new InvalidOptionError(`Cannot serialize one-byte extension id ${e.id} of ${e.data.length} bytes: allowed ids 1-14, 1-16 bytes`);
        }
      }
    }
    dst[offset] = this.profile >> 8;
    dst[offset + 1] = this.profile & 0xff;
    dst[offset + 2] = (dataLength / 4) >> 8;
    dst[offset + 3] = (dataLength / 4) & 0xff;
    let o = offset + 4;
    if (form === "raw") {
      dst.set(this.rawData, o);
      return total;
    }
    for (const e of this.elements) {
      if (form === "one-byte") {
        dst[o++] = (e.id << 4) | (e.data.length - 1);
      } else {
        dst[o++] = e.id;
        dst[o++] = e.data.length;
      }
      dst.set(e.data, o);
      o += e.data.length;
    }
    dst.fill(0, o, offset + total);
    return total;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
