/**
 * STUN attribute types: RFC 8489 18.3, TURN (RFC 8656 18) and ICE (RFC 8445 16.1).
 * Types 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF comprehension-optional
 * (RFC 8489 14).
 */
export const StunAttributeType = {
  mappedAddress: 0x0001,
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  unknownAttributes: 0x000a,
  channelNumber: 0x000c,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedAddressFamily: 0x0017,
  evenPort: 0x0018,
  requestedTransport: 0x0019,
  dontFragment: 0x001a,
  messageIntegritySha256: 0x001c,
  passwordAlgorithm: 0x001d,
  userhash: 0x001e,
  xorMappedAddress: 0x0020,
  reservationToken: 0x0022,
  priority: 0x0024,
  useCandidate: 0x0025,
  passwordAlgorithms: 0x8002,
  alternateDomain: 0x8003,
  software: 0x8022,
  alternateServer: 0x8023,
  fingerprint: 0x8028,
  iceControlled: 0x8029,
  iceControlling: 0x802a,
} as const;

const KNOWN = new Set<number>(Object.values(StunAttributeType));

/** True for types this implementation understands. */
export function isKnownAttributeType(type: number): boolean {
  return KNOWN.has(type);
}

/** True for comprehension-required types, 0x0000-0x7FFF (RFC 8489 14). */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}
