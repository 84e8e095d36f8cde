/**
 * A datagram transport: the emulated network and real UDP sockets both implement it, so a
 * session runs unchanged on either.
 */
export interface Transport {
  /** Sends one datagram (an SRTP/SRTCP packet) to the peer. Never throws on network errors. */
  send(data: Uint8Array, nowUs: number): void;
  /** Called for every datagram that arrives; set by the owner (a session). */
  onReceive: (data: Uint8Array, nowUs: number) => void;
  stats(): Record<string, number>;
  close(): void;
}
