import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { UdpTransport } from "../../src/net/udp-transport.js";

/** Resolves with the next `count` datagrams received by `t`. */
function receiveN(t: UdpTransport, count: number): Promise<Uint8Array[]> {
  return new Promise((resolve) => {
    const got: Uint8Array[] = [];
    t.onReceive = (d) => {
      got.push(d);
      if (got.length === count) resolve(got);
    };
  });
}

describe("UdpTransport on 127.0.0.1", () => {
  it("sends and receives both ways, learning the remote from the first datagram", async () => {
    const b = await UdpTransport.open(); // symmetric: learns A
    const a = await UdpTransport.open({ remote: { address: "127.0.0.1", port: b.localPort } });
    try {
      expect(a.localPort).toBeGreaterThan(0);
      expect(a.localAddress).toBe("127.0.0.1");
      expect(b.remote).toBeUndefined();
      b.send(new Uint8Array([0]), 0); // no peer yet: dropped and counted
      expect(b.stats().sendDropped).toBe(1);

      const atB = receiveN(b, 3);
      const buf = new Uint8Array(1200);
      for (let i = 0; i < 3; i++) {
        buf.fill(i + 1);
        a.send(buf, 0); // reusing the buffer at once is safe: send copies
      }
      const gotB = await atB;
      expect(gotB.map((d) => [d.byteLength, d[0], d[1199]])).toEqual([
        [1200, 1, 1],
        [1200, 2, 2],
        [1200, 3, 3],
      ]);
      expect(Object.getPrototypeOf(gotB[0]!)).toBe(Uint8Array.prototype);
      expect(b.remote).toEqual({ address: "127.0.0.1", port: a.localPort });

      const atA = receiveN(a, 2);
      b.send(new Uint8Array([7, 8, 9]), 0);
      b.send(new Uint8Array([10]), 0);
      const gotA = await atA;
      expect(gotA.map((d) => Array.from(d))).toEqual([[7, 8, 9], [10]]);

      expect(a.stats()).toMatchObject({ packetsSent: 3, bytesSent: 3600, packetsReceived: 2, bytesReceived: 4, sendErrors: 0 });
      expect(b.stats()).toMatchObject({ packetsSent: 2, bytesSent: 4, packetsReceived: 3, bytesReceived: 3600, sendDropped: 1 });
    } finally {
      a.close();
      b.close();
      a.close(); // idempotent
    }
  });

  it("ignores datagrams from an address other than the peer", async () => {
    const b = await UdpTransport.open();
    const a = await UdpTransport.open({ remote: { address: "127.0.0.1", port: b.localPort } });
    const stranger = await UdpTransport.open({ remote: { address: "127.0.0.1", port: b.localPort } });
    try {
      const atB = receiveN(b, 1);
      a.send(new Uint8Array([1]), 0);
      await atB;
      stranger.send(new Uint8Array([2]), 0);
      const again = receiveN(b, 1);
      a.send(new Uint8Array([3]), 0);
      expect(Array.from((await again)[0]!)).toEqual([3]);
      expect(b.stats().packetsIgnored).toBe(1);
    } finally {
      a.close();
      b.close();
      stranger.close();
    }
  });

  it("drops sends after close without throwing", async () => {
    const a = await UdpTransport.open({ remote: { address: "127.0.0.1", port: 9 } });
    a.close();
    expect(() => a.send(new Uint8Array([1]), 0)).not.toThrow();
    expect(a.stats().sendDropped).toBe(1);
  });

  it("rejects bad options", async () => {
    await expect(UdpTransport.open({ bindAddress: "localhost" })).rejects.toThrow(InvalidOptionError);
    await expect(UdpTransport.open({ bindAddress: "localhost" })).rejects.toThrow(/Cannot use bindAddress="localhost": allowed is an IPv4 or IPv6 address/);
    await expect(UdpTransport.open({ port: 70_000 })).rejects.toThrow(/Cannot use port=70000: allowed is a number from 0 to 65535/);
    await expect(UdpTransport.open({ remote: { address: "127.0.0.1", port: 0 } })).rejects.toThrow(/Cannot use remote.port=0/);
  });
});
