/**
 * The TURN ChannelData message (RFC 8656 12.4): a 4-byte header instead of a 36-byte Send or
 * Data indication, once a channel is bound to a peer.
 *
 * ```
 * |         Channel Number        |            Length             |
 * |                     Application Data                         ...
 * ```
 * Channel numbers 0x4000-0x4FFF are valid (RFC 8656 12), so the first byte is 64-79, the
 * range RFC 7983 gives TURN channels. Length counts the data without padding. Over TCP the
 * message is padded to 4 bytes; over UDP the padding is optional (12.5), so `parse` accepts a
 * datagram with 0-3 bytes after the data and `serialize` pads only when asked.
 */
import { MalformedPacketError } from "../errors.js";

/** The lowest valid channel number (RFC 8656 12). */
export const MIN_CHANNEL_NUMBER = 0x4000;
/** The highest valid channel number (RFC 8656 12). */
export const MAX_CHANNEL_NUMBER = 0x4fff;
/** Size of the ChannelData header. */
export const CHANNEL_DATA_HEADER_BYTES = 4;

/** One ChannelData message. */
export class ChannelData {
  /** 0x4000-0x4FFF. */
  readonly channel: number;
  /** The application data (a view into the parsed bytes, no copy). */
  readonly data: Uint8Array;

  constructor(channel: number, data: Uint8Array) {
    if (!Number.isInteger(channel) || channel < MIN_CHANNEL_NUMBER || channel > MAX_CHANNEL_NUMBER) {
      throw new MalformedPacketError(`Cannot make ChannelData: channel ${String(channel)}; allowed is 0x4000-0x4FFF`);
    }
    if (data.length > 0xffff) throw new MalformedPacketError(`Cannot make ChannelData: ${data.length} bytes of data, at most 65535`);
    this.channel = channel;
    this.data = data;
  }

  /** Parses one ChannelData datagram (padding of 0-3 bytes allowed). Throws MalformedPacketError. */
  static parse(bytes: Uint8Array): ChannelData {
    if (bytes.length < CHANNEL_DATA_HEADER_BYTES) throw new MalformedPacketError(`Cannot parse ChannelData: ${bytes.length} bytes, the header alone is 4`);
    const channel = (bytes[0]! << 8) | bytes[1]!;
    if (channel < MIN_CHANNEL_NUMBER || channel > MAX_CHANNEL_NUMBER) throw new MalformedPacketError(`Cannot parse ChannelData: channel 0x${channel.toString(16)}; allowed is 0x4000-0x4FFF`);
    const length = (bytes[2]! << 8) | bytes[3]!;
    const extra = bytes.length - CHANNEL_DATA_HEADER_BYTES - length;
    if (extra < 0) throw new MalformedPacketError(`Cannot parse ChannelData: length ${length} but ${bytes.length - 4} bytes of data`);
    if (extra > 3) throw new MalformedPacketError(`Cannot parse ChannelData: ${extra} bytes after the data; at most 3 bytes of padding allowed`);
    return new ChannelData(channel, bytes.subarray(CHANNEL_DATA_HEADER_BYTES, CHANNEL_DATA_HEADER_BYTES + length));
  }

  /** Bytes of the serialized message; padded to 4 when `padded` (TCP/TLS, RFC 8656 12.5). */
  byteLength(padded = false): number {
    const n = CHANNEL_DATA_HEADER_BYTES + this.data.length;
    return padded ? (n + 3) & ~3 : n;
  }

  /** Writes the message at `dst[offset]`; returns the bytes written. */
  serializeInto(dst: Uint8Array, offset: number, padded = false): number {
    const n = this.byteLength(padded);
    if (offset < 0 || offset + n > dst.length) throw new MalformedPacketError(`Cannot serialize ChannelData: ${n} bytes do not fit at offset ${offset} of ${dst.length}`);
    dst[offset] = this.channel >> 8;
    dst[offset + 1] = this.channel & 0xff;
    dst[offset + 2] = this.data.length >> 8;
    dst[offset + 3] = this.data.length & 0xff;
    dst.set(this.data, offset + 4);
    dst.fill(0, offset + 4 + this.data.length, offset + n);
    return n;
  }

  /** The message as bytes. */
  serialize(padded = false): Uint8Array {
    const out = new Uint8Array(this.byteLength(padded));
    this.serializeInto(out, 0, padded);
    return out;
  }
}
