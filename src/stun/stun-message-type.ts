/**
 * The STUN message type (RFC 8489 5): 2 zero bits, then 14 bits that interleave a 12-bit
 * method (M11..M0) with a 2-bit class (C1 C0):
 *
 * ```
 *  0                 1
 *  2  3  4 5 6 7 8 9 0 1 2 3 4 5
 * +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
 * |M |M |M|M|M|C|M|M|M|C|M|M|M|M|
 * |11|10|9|8|7|1|6|5|4|0|3|2|1|0|
 * +--+--+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */

/** The four STUN message classes (RFC 8489 5). */
export const StunClass = {
  request: 0,
  indication: 1,
  successResponse: 2,
  errorResponse: 3,
} as const;
/** A STUN message class, 0-3. */
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/** STUN methods: Binding (RFC 8489 18.2) and the TURN methods (RFC 8656 17). */
export const StunMethod = {
  binding: 0x001,
  allocate: 0x003,
  refresh: 0x004,
  send: 0x006,
  data: 0x007,
  createPermission: 0x008,
  channelBind: 0x009,
} as const;

/** The 16-bit message type field for `method` (0-0xFFF) and `messageClass` (RFC 8489 5). */
export function encodeMessageType(method: number, messageClass: StunClass): number {
  const m = method & 0xfff;
  return ((m & 0xf80) << 2) | ((m & 0x070) << 1) | (m & 0x00f) | ((messageClass & 2) << 7) | ((messageClass & 1) << 4);
}

/** Splits a message type field into method and class (RFC 8489 5). */
export function decodeMessageType(type: number): { method: number; messageClass: StunClass } {
  const method = ((type >> 2) & 0xf80) | ((type >> 1) & 0x070) | (type & 0x00f);
  const messageClass = (((type >> 7) & 2) | ((type >> 4) & 1)) as StunClass;
  return { method, messageClass };
}
