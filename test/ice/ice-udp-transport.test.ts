/**
 * IceUdpTransport on real sockets on 127.0.0.1: host-host, and through a real coturn with a
 * forced-relay policy; with two coturns (one behind a delaying UDP proxy) the relay of the
 * lowest RTT is chosen. Figures (set-up time, RTT, bytes) are printed for the report.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IceUdpTransport, type IceUdpTransportOptions } from "../../src/ice/ice-udp-transport.js";
import { coturnAvailable, startCoturn, type Coturn } from "../turn/coturn-harness.js";

/** Wires two transports' signaling in-process (candidates, end-of-candidates, restarts). */
function wire(a: IceUdpTransport, b: IceUdpTransport): void {
  const link = (x: IceUdpTransport, y: IceUdpTransport): void => {
    x.onEvent = (e) => {
      if (e.type === "candidate") y.addRemoteCandidate(e.candidate);
      if (e.type === "gathering-complete") y.setRemoteEndOfCandidates();
      if (e.type === "restarted") y.setRemoteCredentials(e.ufrag, e.pwd);
    };
  };
  link(a, b);
  link(b, a);
  a.setRemoteCredentials(b.localCredentials.ufrag, b.localCredentials.pwd);
  b.setRemoteCredentials(a.localCredentials.ufrag, a.localCredentials.pwd);
}

async function connectPair(ao: IceUdpTransportOptions, bo: IceUdpTransportOptions): Promise<{ a: IceUdpTransport; b: IceUdpTransport; setupMs: number }> {
  const a = await IceUdpTransport.create({ role: "controlling", ...ao });
  const b = await IceUdpTransport.create({ role: "controlled", ...bo });
  wire(a, b);
  const t0 = performance.now();
  a.gather();
  b.gather();
  await Promise.all([a.whenConnected(15_000), b.whenConnected(15_000)]);
  return { a, b, setupMs: performance.now() - t0 };
}

/** Sends `n` datagrams of `size` bytes each way; resolves with what arrived. */
async function exchange(a: IceUdpTransport, b: IceUdpTransport, n: number, size: number): Promise<{ atB: number; atA: number }> {
  let atB = 0;
  let atA = 0;
  b.onReceive = (d) => {
    if (d.length === size && d[0] === 0x80 && d[1] === 0x60) atB++;
  };
  a.onReceive = (d) => {
    if (d.length === size && d[0] === 0x80 && d[1] === 0x61) atA++;
  };
  for (let i = 0; i < n; i++) {
    const pa = new Uint8Array(size);
    pa[0] = 0x80;
    pa[1] = 0x60;
    a.send(pa, 0);
    const pb = pa.slice();
    pb[1] = 0x61;
    b.send(pb, 0);
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 2));
  }
  const deadline = Date.now() + 3000;
  while ((atA < n || atB < n) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { atB, atA };
}

/** Median round trip of `n` ping-pongs A -> B -> A, in ms. */
async function rttMs(a: IceUdpTransport, b: IceUdpTransport, n: number): Promise<number> {
  b.onReceive = (d) => {
    if (d[1] === 0x70) b.send(Uint8Array.from([0x80, 0x71, d[2]!, d[3]!]), 0);
  };
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((res) => {
      a.onReceive = (d) => {
        if (d[1] === 0x71 && d[2] === (i >> 8) % 256 && d[3] === i % 256) res();
      };
    });
    const t0 = performance.now();
    a.send(Uint8Array.from([0x80, 0x70, (i >> 8) % 256, i % 256]), 0);
    await Promise.race([got, new Promise((r) => setTimeout(r, 500))]);
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(samples.length / 2)]!;
}

describe("IceUdpTransport on loopback", () => {
  it("validates its options", async () => {
    await expect(IceUdpTransport.create({ bindAddresses: [] })).rejects.toThrow(/bindAddresses must list at least one IP address/);
    await expect(IceUdpTransport.create({ taMs: 0 })).rejects.toThrow(/taMs/);
  });

  it("drops media before a pair is selected and media from strangers, counting both", async () => {
    const t = await IceUdpTransport.create({});
    const stranger = createSocket("udp4");
    try {
      t.send(Uint8Array.from([0x80, 1]), 0);
      expect(t.stats().mediaSendDropped).toBe(1);
      await new Promise<void>((r) => stranger.bind(0, "127.0.0.1", r));
      let got = 0;
      t.onReceive = () => got++;
      t.gather();
      const hostPort = t.agent.localCandidates[0]!.address.port;
      stranger.send(Uint8Array.from([0x80, 0x60, 0, 0]), hostPort, "127.0.0.1");
      stranger.send(Uint8Array.from([0x00, 0x01, 0, 0]), hostPort, "127.0.0.1"); // not STUN (too short)
      const deadline = Date.now() + 2000;
      while (t.stats().datagramsReceived < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toBe(0);
      expect(t.stats().mediaUnknownSource).toBe(1);
      expect(t.stats().malformedDropped).toBe(1);
    } finally {
      stranger.close();
      t.close();
    }
  });

  it("two agents connect host-host on 127.0.0.1 and exchange datagrams", async () => {
    const { a, b, setupMs } = await connectPair({}, {});
    try {
      expect(a.selectedPair!.local.type).toBe("host");
      expect(a.selectedPair!.remote.type).toBe("host");
      expect(a.selectedPair!.remote.address.port).toBe(b.selectedPair!.local.address.port);
      const r = await exchange(a, b, 200, 1200);
      expect(r).toEqual({ atB: 200, atA: 200 });
      const rtt = await rttMs(a, b, 50);
      const s = a.stats();
      expect(s.mediaWireBytesSent).toBe(s.mediaPayloadBytesSent);
      console.log(`ICE host-host on loopback: set-up ${setupMs.toFixed(1)} ms, median RTT ${rtt.toFixed(3)} ms, 200 x 1200 B: ${s.mediaWireBytesSent} B on the wire`);
    } finally {
      a.close();
      b.close();
    }
  });

  it("connects host-host over IPv6 loopback (::1)", async () => {
    const { a, b } = await connectPair({ bindAddresses: ["::1"] }, { bindAddresses: ["::1"] });
    try {
      expect(a.selectedPair!.local.address).toMatchObject({ family: 6, address: "::1" });
      expect(b.selectedPair!.remote.address.port).toBe(a.selectedPair!.local.address.port);
      expect(await exchange(a, b, 20, 100)).toEqual({ atB: 20, atA: 20 });
    } finally {
      a.close();
      b.close();
    }
  });
});

/** A UDP proxy that delays every datagram by `delayMs` each way (the kernel has no netem). */
class DelayProxy {
  private readonly front: Socket = createSocket("udp4");
  private readonly backs = new Map<string, Socket>();
  port = 0;
  constructor(private readonly target: number, private readonly delayMs: number) {}
  async start(): Promise<void> {
    await new Promise<void>((r) => this.front.bind(0, "127.0.0.1", r));
    this.port = this.front.address().port;
    this.front.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
      const key = `${rinfo.address}:${rinfo.port}`;
      let back = this.backs.get(key);
      if (!back) {
        const s = createSocket("udp4");
        back = s;
        this.backs.set(key, s);
        s.bind(0, "127.0.0.1");
        s.on("message", (m: Buffer) => setTimeout(() => this.front.send(m, rinfo.port, rinfo.address), this.delayMs));
      }
      const b = back;
      setTimeout(() => b.send(msg, this.target, "127.0.0.1"), this.delayMs);
    });
  }
  close(): void {
    this.front.close();
    for (const s of this.backs.values()) s.close();
  }
}

const haveCoturn = coturnAvailable("ICE relay tests");

describe.runIf(haveCoturn)("IceUdpTransport through coturn", () => {
  let fast: Coturn;
  let slow: Coturn;
  let proxy: DelayProxy;
  beforeAll(async () => {
    fast = await startCoturn();
    slow = await startCoturn();
    proxy = new DelayProxy(slow.port, 60);
    await proxy.start();
  });
  afterAll(async () => {
    proxy?.close();
    await fast?.stop();
    await slow?.stop();
  });

  it("with a forced-relay policy both agents connect via the relay and exchange datagrams", async () => {
    const turn = [{ address: "127.0.0.1", port: fast.port, username: fast.username, password: fast.password }];
    const direct = await connectPair({}, {});
    await exchange(direct.a, direct.b, 100, 1000);
    const directBytes = direct.a.stats().mediaWireBytesSent;
    expect(directBytes).toBe(100 * 1000);
    const directRtt = await rttMs(direct.a, direct.b, 50);
    direct.a.close();
    direct.b.close();

    const { a, b, setupMs } = await connectPair({ policy: "relay", turnServers: turn, consentIntervalMs: 100 }, { policy: "relay", turnServers: turn, consentIntervalMs: 100 });
    try {
      expect(a.selectedPair!.local.type).toBe("relay");
      expect(b.selectedPair!.local.type).toBe("relay");
      expect(a.selectedPair!.remote.type).toBe("relay");
      // Wait for the ChannelBind of the valid pair so media goes as ChannelData.
      const tc = a.agent.selectedTurnClient!;
      const deadline = Date.now() + 3000;
      while ((tc.stats().channelDataSent === 0 || b.agent.selectedTurnClient!.channelFor(b.selectedPair!.remote.address) === undefined) && Date.now() < deadline) {
        a.send(Uint8Array.from([0x80, 0x00]), 0);
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = a.stats();
      const r = await exchange(a, b, 100, 1000);
      expect(r).toEqual({ atB: 100, atA: 100 });
      const after = a.stats();
      const relayBytes = after.mediaWireBytesSent - before.mediaWireBytesSent;
      // ChannelData (RFC 8656 12.4): 4 bytes per datagram on top of the payload.
      expect(relayBytes).toBe(100 * 1004);
      expect(tc.stats().channelDataSent).toBeGreaterThanOrEqual(100);
      const relayRtt = await rttMs(a, b, 50);
      // Consent freshness (RFC 7675) runs through the relay too.
      const until = Date.now() + 3000;
      while ((a.stats().consentResponses < 2 || b.stats().consentResponses < 2) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(a.stats().consentResponses).toBeGreaterThan(0);
      expect(b.stats().consentResponses).toBeGreaterThan(0);
      console.log(
        `ICE via coturn (forced relay) on loopback: set-up ${setupMs.toFixed(1)} ms, median RTT ${relayRtt.toFixed(3)} ms vs direct ${directRtt.toFixed(3)} ms; ` +
          `100 x 1000 B: ${relayBytes} B relayed vs ${directBytes} B direct (+${(((relayBytes - directBytes) / directBytes) * 100).toFixed(1)}%)`,
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it("with two TURN servers the relay of the lowest RTT is gathered and used", async () => {
    const fastS = { address: "127.0.0.1", port: fast.port, username: fast.username, password: fast.password };
    const slowS = { address: "127.0.0.1", port: proxy.port, username: slow.username, password: slow.password };
    // Listed slow first on A and fast first on B: the choice is by RTT, not by order.
    const { a, b } = await connectPair({ policy: "relay", turnServers: [slowS, fastS] }, { policy: "relay", turnServers: [fastS, slowS] });
    try {
      for (const t of [a, b]) {
        const rtts = t.agent.turnRtts();
        const f = rtts.find((x) => x.server.port === fast.port)!;
        const s = rtts.find((x) => x.server.port === proxy.port)!;
        expect(s.rttMs!).toBeGreaterThan(100);
        expect(f.rttMs!).toBeLessThan(s.rttMs!);
        expect(t.agent.selectedTurnClient!.server.port).toBe(fast.port);
        console.log(`TURN RTT probe: fast ${f.rttMs!.toFixed(2)} ms, slow (60 ms proxy each way) ${s.rttMs!.toFixed(2)} ms; relay on ${t.agent.selectedTurnClient!.server.port === fast.port ? "fast" : "slow"}`);
      }
      const r = await exchange(a, b, 50, 500);
      expect(r).toEqual({ atB: 50, atA: 50 });
    } finally {
      a.close();
      b.close();
    }
  });
});
