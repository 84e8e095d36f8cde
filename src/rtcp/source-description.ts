/**
 * RTCP Source Description, PT=202 (RFC 3550 6.5): chunks of an SSRC/CSRC and its items
 * (CNAME 6.5.1, NAME, EMAIL, ..., PRIV 6.5.8), each chunk ended by a null item and padded to
 * a 32-bit boundary.
 */
import { MalformedPacketError, InvalidOptionError } from "../errors.js";
import { checkRoom, readU32, RtcpHeader, RtcpPacketType, writeU32 } from "./rtcp-header.js";

/** SDES item types (RFC 3550 6.5). */
export const SdesItemType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

export interface SdesItem {
  /** 1-255. */
  type: number;
  /** Item text as bytes (UTF-8 per RFC 3550 6.5), at most 255. */
  value: Uint8Array;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function fail(reason: string): never {
  throw new MalformedPacketError(`Cannot parse source description: ${reason}`);
}

function chunkBytes(c: SdesChunk): number {
  let n = 4;
  for (const it of c.items) n += 2 + it.value.length;
  return (n + 1 + 3) & ~3; // at least one null octet, then pad to 32 bits
}

export class SourceDescription {
  readonly packetType = RtcpPacketType.SDES;
  chunks: SdesChunk[];

  constructor(chunks: SdesChunk[] = []) {
    this.chunks = chunks;
  }

  /** An SDES packet with one chunk holding a CNAME item (RFC 3550 6.5.1). */
  static withCname(ssrc: number, cname: string): SourceDescription {
    return new SourceDescription([{ ssrc: ssrc >>> 0, items: [{ type: SdesItemType.CNAME, value: encoder.encode(cname) }] }]);
  }

  /** The CNAME of `ssrc` (or of the first chunk when omitted), or undefined. */
  cname(ssrc?: number): string | undefined {
    for (const c of this.chunks) {
      if (ssrc !== undefined && c.ssrc !== ssrc >>> 0) continue;
      for (const it of c.items) if (it.type === SdesItemType.CNAME) return decoder.decode(it.value);
    }
    return undefined;
  }

  get byteLength(): number {
    let n = 4;
    for (const c of this.chunks) n += chunkBytes(c);
    return n;
  }

  /** Parses exactly one SDES packet. */
  static parse(bytes: Uint8Array): SourceDescription {
    const { header, body } = RtcpHeader.body(bytes, RtcpPacketType.SDES, "source description");
    const chunks: SdesChunk[] = [];
    let o = 0;
    for (let i = 0; i < header.count; i++) {
      if (o + 4 > body.length) fail(`chunk ${i} of ${header.count} is missing`);
      const chunk: SdesChunk = { ssrc: readU32(body, o), items: [] };
      o += 4;
      for (;;) {
        if (o >= body.length) fail(`chunk ${i} has no null item at its end`);
        const type = body[o]!;
        if (type === SdesItemType.END) {
          o = (o + 4) & ~3; // skip the null octet and the padding to the next 32-bit boundary
          break;
        }
        if (o + 2 > body.length) fail(`item type ${type} in chunk ${i} has no length`);
        const len = body[o + 1]!;
        if (o + 2 + len > body.length) fail(`item type ${type} of ${len} bytes overruns the packet`);
        chunk.items.push({ type, value: body.subarray(o + 2, o + 2 + len) });
        o += 2 + len;
      }
      if (o > body.length) fail(`chunk ${i} padding overruns the packet`);
      chunks.push(chunk);
    }
    if (o !== body.length) fail(`${body.length - o} bytes after the last chunk`);
    return new SourceDescription(chunks);
  }

  serializeInto(dst: Uint8Array, offset: number): number {
    const n = this.byteLength;
    if (this.chunks.length > 31) throw new InvalidOptionError(`Cannot serialize source description: ${this.chunks.length} chunks, allowed is at most 31`);
    checkRoom("source description", dst, offset, n);
    RtcpHeader.write(dst, offset, this.chunks.length, RtcpPacketType.SDES, n);
    let o = offset + 4;
    for (const c of this.chunks) {
      const end = o + chunkBytes(c);
      writeU32(dst, o, c.ssrc);
      o += 4;
      for (const it of c.items) {
        if (it.type < 1 || it.type > 255 || it.value.length > 255) throw new InvalidOptionError(`Cannot serialize SDES item type ${it.type} of ${it.value.length} bytes: allowed types 1-255, up to 255 bytes`);
        dst[o] = it.type;
        dst[o + 1] = it.value.length;
        dst.set(it.value, o + 2);
        o += 2 + it.value.length;
      }
      dst.fill(0, o, end);
      o = end;
    }
    return n;
  }

  serialize(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.serializeInto(out, 0);
    return out;
  }
}
