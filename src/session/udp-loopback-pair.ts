import type { Clock } from "../pipeline/clock.js";
import { UdpTransport } from "../net/udp-transport.js";

/**
 * Two real UDP sockets on 127.0.0.1 connected to each other: the same shape as
 * EmulatedNetwork (`a`, `b`, `stats()`, `close()`), so a call runs unchanged over real sockets.
 * Stats use the emulator's keys: a datagram sent and not received counts as lost.
 */
export class UdpLoopbackPair {
  private constructor(
    readonly a: UdpTransport,
    readonly b: UdpTransport,
  ) {}

  static async open(clock: Clock): Promise<UdpLoopbackPair> {
    const a = await UdpTransport.open({ bindAddress: "127.0.0.1", port: 0, clock });
    const b = await UdpTransport.open({ bindAddress: "127.0.0.1", port: 0, clock, remote: { address: "127.0.0.1", port: a.localPort } });
    a.connectTo({ address: "127.0.0.1", port: b.localPort });
    return new UdpLoopbackPair(a, b);
  }

  stats(): Record<string, number> {
    const a = this.a.stats();
    const b = this.b.stats();
    return {
      "aToB.packetsIn": a.packetsSent,
      "aToB.packetsDelivered": b.packetsReceived,
      "aToB.lostRandom": Math.max(0, a.packetsSent - b.packetsReceived),
      "aToB.bytesIn": a.bytesSent,
      "bToA.packetsIn": b.packetsSent,
      "bToA.packetsDelivered": a.packetsReceived,
      "bToA.lostRandom": Math.max(0, b.packetsSent - a.packetsReceived),
      "bToA.bytesIn": b.bytesSent,
      "a.localPort": this.a.localPort,
      "b.localPort": this.b.localPort,
      "a.sendErrors": a.sendErrors,
      "b.sendErrors": b.sendErrors,
    };
  }

  close(): void {
    this.a.close();
    this.b.close();
  }
}
