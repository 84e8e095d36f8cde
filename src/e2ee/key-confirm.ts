/**
 * Key confirmation: each side proves it derived the same keys by a MAC over the transcript hash,
 * keyed with its own confirmation key from the epoch's key schedule (EpochKeySchedule):
 *
 *   version(1)=1 | type(1)=3 | epoch(4) | role(1) (0 initiator, 1 responder) | mac(32)
 *   mac = HMAC-SHA256(confirmKey_role, "rtcpipe-e2ee/1 confirm" || role || transcriptHash)
 */
import { MalformedPacketError } from "../errors.js";
import { KeyMessageReader, KeyMessageType, KeyMessageWriter, checkMessageSize } from "./key-message-codec.js";

/** Who sends a confirm within one epoch's exchange. */
export type ExchangeRole = "initiator" | "responder";

/** Confirm messages have a fixed size. */
const CONFIRM_BYTES = 6 + 1 + 32;

/** A key-confirmation message (wire format in the file comment). */
export class KeyConfirm {
  constructor(
    /** The epoch confirmed. */
    readonly epoch: number,
    /** Who sent it. */
    readonly role: ExchangeRole,
    /** The 32-byte MAC. */
    readonly mac: Uint8Array,
  ) {
    if (mac.length !== 32) throw new MalformedPacketError(`Cannot create key confirm: MAC has ${mac.length} bytes, allowed is 32`);
  }

  /** Parses a confirm. Throws MalformedPacketError. */
  static parse(bytes: Uint8Array): KeyConfirm {
    checkMessageSize(bytes, "key confirm", CONFIRM_BYTES);
    const r = new KeyMessageReader(bytes, "key confirm");
    const epoch = r.header(KeyMessageType.confirm);
    const role = r.u8("role");
    if (role > 1) r.fail(`role is ${role}, allowed is 0 (initiator) or 1 (responder)`);
    const mac = r.take(32, "MAC");
    r.end();
    return new KeyConfirm(epoch, role === 0 ? "initiator" : "responder", mac);
  }

  get byteLength(): number {
    return CONFIRM_BYTES;
  }

  serializeInto(dst: Uint8Array, offset = 0): number {
    if (dst.length - offset < CONFIRM_BYTES) throw new RangeError(`Cannot serialize key confirm: ${CONFIRM_BYTES} bytes do not fit at offset ${offset} of ${dst.length}`);
    dst.set(this.serialize(), offset);
    return CONFIRM_BYTES;
  }

  serialize(): Uint8Array {
    return new KeyMessageWriter().header(KeyMessageType.confirm, this.epoch).u8(this.role === "initiator" ? 0 : 1).put(this.mac).finish();
  }
}
