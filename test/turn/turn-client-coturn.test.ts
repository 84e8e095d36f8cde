/**
 * TurnClient and the STUN Binding helper against a real coturn started by the test
 * (flags of /work/shared/interop/turn.sh), with plain UDP peer sockets on 127.0.0.1.
 */
import { spawnSync } from "node:child_process";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stunBindingRequest } from "../../src/stun/stun-binding-udp.js";
import { transportAddress, type TransportAddress } from "../../src/stun/transport-address.js";
import { TurnClient, type TurnEvent } from "../../src/turn/turn-client.js";
import { TurnError } from "../../src/turn/turn-error.js";
import { TurnUdpSocket } from "../../src/turn/turn-udp-socket.js";
import { coturnAvailable, startCoturn, type Coturn } from "./coturn-harness.js";

const run = coturnAvailable("TurnClient ↔ coturn");

/** A plain UDP peer on 127.0.0.1 that records what it receives. */
async function udpPeer(): Promise<{ socket: Socket; address: TransportAddress; received: { data: Uint8Array; from: TransportAddress }[]; close(): Promise<void> }> {
  const socket = createSocket("udp4");
  await new Promise<void>((res) => socket.bind(0, "127.0.0.1", res));
  const received: { data: Uint8Array; from: TransportAddress }[] = [];
  socket.on("message", (d: Buffer, r: RemoteInfo) => received.push({ data: new Uint8Array(d), from: transportAddress(r.address, r.port) }));
  return { socket, address: transportAddress("127.0.0.1", socket.address().port), received, close: () => new Promise<void>((res) => socket.close(() => res())) };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Distinct payloads: index in the first 2 bytes, then a pattern. */
function payloads(n: number, size: number, salt: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const p = new Uint8Array(size);
    for (let k = 0; k < size; k++) p[k] = (i * 31 + k * 7 + salt) & 0xff;
    p[0] = i >> 8;
    p[1] = i & 0xff;
    return p;
  });
}

/**
 * Drives a TurnClient core over a socket with a virtual clock the test moves (the server keeps
 * real time), so refresh timers minutes away can be exercised in milliseconds.
 */
class VirtualClockDriver {
  nowUs = 1_000_000;
  readonly events: TurnEvent[] = [];
  constructor(readonly client: TurnClient, readonly socket: Socket) {
    socket.on("message", (d: Buffer) => {
      client.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), this.nowUs);
      this.flush();
    });
  }
  flush(): void {
    for (let b = this.client.pollTransmit(); b; b = this.client.pollTransmit()) this.socket.send(b, this.client.server.port, this.client.server.address);
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) this.events.push(e);
  }
  advanceTo(tUs: number): void {
    this.nowUs = tUs;
    this.client.tick(tUs);
    this.flush();
  }
}

describe.skipIf(!run)("TurnClient against coturn (RFC 8656)", () => {
  let turn: Coturn;
  const server = (): { address: string; port: number } => ({ address: "127.0.0.1", port: turn.port });
  const creds = (): { username: string; password: string } => ({ username: turn.username, password: turn.password });

  beforeAll(async () => {
    turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
  });

  it("STUN Binding (RFC 8489 3) returns our reflexive address 127.0.0.1:ourport, as turnutils_stunclient sees it", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
    const ourPort = sock.address().port;
    const r = await stunBindingRequest(server(), { socket: sock, software: "rtcpipe test" });
    sock.close();
    expect(r.mapped).toEqual({ family: 4, address: "127.0.0.1", port: ourPort });
    expect(r.transmits).toBe(1);
    // coturn's own client from its own socket: same address form, its own port.
    const out = spawnSync("timeout", ["5", "turnutils_stunclient", "-p", String(turn.port), "127.0.0.1"], { encoding: "utf8" });
    const m = /UDP reflexive addr: (\d+\.\d+\.\d+\.\d+):(\d+)/.exec(out.stdout);
    expect(m, out.stdout + out.stderr).not.toBeNull();
    expect(m![1]).toBe(r.mapped.address);
    const theirPort = Number(m![2]);
    expect(theirPort).toBeGreaterThan(0);
    expect(theirPort).not.toBe(turn.port);
  });

  it("Allocate with long-term credentials (RFC 8656 7.1) gets a relayed address in coturn's relay range and our mapped address", async () => {
    const s = await TurnUdpSocket.connect({ server: server(), ...creds() });
    try {
      expect(s.relayedAddress.address).toBe("127.0.0.1");
      expect(s.relayedAddress.port).toBeGreaterThanOrEqual(turn.minPort);
      expect(s.relayedAddress.port).toBeLessThanOrEqual(turn.maxPort);
      expect(s.mappedAddress).toEqual(s.localAddress);
      const st = s.stats();
      // One unauthenticated Allocate (401 with REALM/NONCE), one with MESSAGE-INTEGRITY.
      expect(st.requestsSent).toBe(2);
      expect(st.integrityFailures).toBe(0);
    } finally {
      await s.close();
    }
  });

  it("Send indications out and Data indications back (RFC 8656 10) carry every datagram byte-exact", async () => {
    const s = await TurnUdpSocket.connect({ server: server(), ...creds() });
    const peer = await udpPeer();
    const back: Uint8Array[] = [];
    s.onData = (d, from, viaChannel) => {
      expect(from).toEqual(peer.address);
      expect(viaChannel).toBe(false);
      back.push(d.slice());
    };
    try {
      await s.createPermission(peer.address);
      const out = payloads(20, 173, 1);
      for (const p of out) s.send(peer.address, p);
      await until(() => peer.received.length === 20, "20 datagrams at the peer");
      expect(peer.received.map((r) => r.data)).toEqual(out);
      // The peer sees the relayed address as the source.
      for (const r of peer.received) expect(r.from).toEqual(s.relayedAddress);
      const replies = payloads(20, 91, 2);
      for (const p of replies) peer.socket.send(p, s.relayedAddress.port, s.relayedAddress.address);
      await until(() => back.length === 20, "20 replies through the relay");
      expect(back).toEqual(replies);
      const st = s.stats();
      expect(st.sendIndicationsSent).toBe(20);
      expect(st.dataIndicationsReceived).toBe(20);
      expect(st.channelDataSent).toBe(0);
    } finally {
      await s.close();
      await peer.close();
    }
  });

  it("sending before a permission exists queues the data until CreatePermission succeeds (RFC 8656 9)", async () => {
    const s = await TurnUdpSocket.connect({ server: server(), ...creds() });
    const peer = await udpPeer();
    try {
      const out = payloads(5, 40, 3);
      for (const p of out) s.send(peer.address, p);
      await until(() => peer.received.length === 5, "5 queued datagrams at the peer");
      expect(peer.received.map((r) => r.data)).toEqual(out);
    } finally {
      await s.close();
      await peer.close();
    }
  });

  it("ChannelBind and ChannelData (RFC 8656 12) carry every datagram byte-exact both ways", async () => {
    const s = await TurnUdpSocket.connect({ server: server(), ...creds() });
    const peer = await udpPeer();
    const back: { d: Uint8Array; via: boolean }[] = [];
    s.onData = (d, _from, viaChannel) => back.push({ d: d.slice(), via: viaChannel });
    try {
      const ch = await s.bindChannel(peer.address);
      expect(ch).toBe(0x4000);
      // Odd sizes: ChannelData over UDP goes unpadded (RFC 8656 12.5).
      const out = payloads(30, 1201, 4);
      for (const p of out) s.send(peer.address, p);
      await until(() => peer.received.length === 30, "30 datagrams at the peer");
      expect(peer.received.map((r) => r.data)).toEqual(out);
      const replies = payloads(30, 333, 5);
      for (const p of replies) peer.socket.send(p, s.relayedAddress.port, s.relayedAddress.address);
      await until(() => back.length === 30, "30 replies through the relay");
      expect(back.map((b) => b.d)).toEqual(replies);
      expect(back.every((b) => b.via)).toBe(true);
      const st = s.stats();
      expect(st.channelDataSent).toBe(30);
      expect(st.channelDataReceived).toBe(30);
      expect(st.sendIndicationsSent).toBe(0);
      // Each datagram to the server is the payload plus the 4-byte ChannelData header.
      expect(st.malformedDropped + st.unmatchedDropped).toBe(0);
    } finally {
      await s.close();
      await peer.close();
    }
  });

  it("Refresh before expiry, CreatePermission and ChannelBind refreshes run on their timers (RFC 8656 7.2, 9.2, 12), driven on a virtual clock", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
    // coturn grants at least 600 s whatever we ask for; the schedule follows what it granted.
    const client = new TurnClient({ server: server(), ...creds(), lifetimeS: 120, refreshMarginS: 30, seed: 7 });
    const d = new VirtualClockDriver(client, sock);
    const peer = await udpPeer();
    try {
      const t0 = d.nowUs;
      client.allocate(t0);
      d.flush();
      await until(() => d.events.some((e) => e.type === "allocated"), "allocated");
      const alloc = d.events.find((e) => e.type === "allocated");
      const lifetimeS = alloc?.type === "allocated" ? alloc.lifetimeS : 0;
      expect(lifetimeS).toBe(600);
      expect(client.expiresAtUs).toBe(t0 + 600e6);
      client.bindChannel(peer.address, t0);
      d.flush();
      await until(() => d.events.some((e) => e.type === "channel"), "channel bound");
      // Permission refresh first (240 s), then the channel (540 s), then the allocation (600 - 30 s).
      expect(client.nextTimeoutUs()).toBe(t0 + 240e6);
      const sent0 = client.stats().requestsSent;
      d.advanceTo(t0 + 239e6);
      expect(client.stats().requestsSent).toBe(sent0);
      d.advanceTo(t0 + 240e6);
      expect(client.stats().requestsSent).toBe(sent0 + 1);
      await until(() => client.nextTimeoutUs() === t0 + 480e6, "permission refreshed; next at 480 s");
      d.advanceTo(t0 + 480e6);
      expect(client.stats().requestsSent).toBe(sent0 + 2);
      await until(() => client.nextTimeoutUs() === t0 + 540e6, "permission refreshed again; channel next");
      d.advanceTo(t0 + 540e6);
      expect(client.stats().requestsSent).toBe(sent0 + 3);
      await until(() => client.nextTimeoutUs() === t0 + 570e6, "channel refreshed; allocation refresh next");
      d.advanceTo(t0 + 570e6);
      await until(() => d.events.some((e) => e.type === "refreshed"), "refreshed");
      const ref = d.events.find((e) => e.type === "refreshed");
      expect(ref?.type === "refreshed" && ref.lifetimeS).toBe(600);
      expect(client.expiresAtUs).toBe(t0 + 570e6 + 600e6);
      expect(client.stats().refreshes).toBe(1);
      expect(d.events.filter((e) => e.type === "error")).toEqual([]);
      // Still relaying after all that, on the channel.
      client.send(peer.address, Uint8Array.of(1, 2, 3), d.nowUs);
      d.flush();
      await until(() => peer.received.length === 1, "datagram after refreshes");
      expect(peer.received[0]!.data).toEqual(Uint8Array.of(1, 2, 3));
      expect(client.stats().channelDataSent).toBe(1);
      // Close: Refresh LIFETIME 0, answered, then "closed".
      client.close(d.nowUs);
      d.flush();
      await until(() => d.events.some((e) => e.type === "closed"), "closed");
      expect(client.state).toBe("closed");
    } finally {
      sock.close();
      await peer.close();
    }
  });

  it("a wrong password ends in TurnError kind 'unauthorized' (401) after exactly two requests, no hang", async () => {
    const t0 = Date.now();
    const err = await TurnUdpSocket.connect({ server: server(), username: turn.username, password: "wrong" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TurnError);
    const te = err as TurnError;
    expect(te.kind).toBe("unauthorized");
    expect(te.stunErrorCode).toBe(401);
    expect(te.code).toBe("ERR_AUTH_FAILED");
    expect(te.message).toMatch(/^Cannot allocate on TURN server 127\.0\.0\.1:\d+: wrong credentials for user "test"/);
    console.log(`wrong password -> ${te.message} after ${Date.now() - t0} ms`);
    // The same on the core: one unauthenticated Allocate, one with credentials, then stop.
    const sock = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
    const client = new TurnClient({ server: server(), username: turn.username, password: "wrong", seed: 9 });
    const d = new VirtualClockDriver(client, sock);
    client.allocate(d.nowUs);
    d.flush();
    await until(() => client.state === "failed", "failed");
    sock.close();
    expect(client.stats().requestsSent).toBe(2);
    expect(client.nextTimeoutUs()).toBeUndefined();
  });

  it("an unknown username also ends in 'unauthorized'", async () => {
    const err = await TurnUdpSocket.connect({ server: server(), username: "nobody", password: "secret" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TurnError);
    expect((err as TurnError).kind).toBe("unauthorized");
  });

  it("a peer coturn does not relay to gives TurnError kind 'forbidden' (403) for that permission only", async () => {
    const s = await TurnUdpSocket.connect({ server: server(), ...creds() });
    const errors: TurnError[] = [];
    s.onError = (e) => errors.push(e);
    try {
      const bad = transportAddress("10.1.2.3", 5000);
      const err = await s.createPermission(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TurnError);
      expect((err as TurnError).kind).toBe("forbidden");
      expect((err as TurnError).stunErrorCode).toBe(403);
      expect((err as TurnError).message).toContain("10.1.2.3");
      // The allocation is still good.
      const peer = await udpPeer();
      s.send(peer.address, Uint8Array.of(9));
      await until(() => peer.received.length === 1, "datagram after 403");
      await peer.close();
    } finally {
      await s.close();
    }
  });

  it("no server at the address: TurnError kind 'timeout' after the bounded retransmissions (RFC 8489 6.2.1)", async () => {
    const sock = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
    const deadPort = sock.address().port; // bound, silent
    try {
      const err = await TurnUdpSocket.connect({ server: { address: "127.0.0.1", port: deadPort }, ...creds(), rtoMs: 20, maxTransmits: 3, lastWaitRto: 4 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TurnError);
      expect((err as TurnError).kind).toBe("timeout");
      expect((err as TurnError).message).toMatch(/no answer after 3 transmissions/);
    } finally {
      sock.close();
    }
  });
});

describe.skipIf(!run)("TurnClient against coturn with quotas and short nonces", () => {
  it("a second allocation over --user-quota=1 gives TurnError kind 'quota' (486)", async () => {
    const turn = await startCoturn({ extraArgs: ["--user-quota=1"] });
    try {
      const first = await TurnUdpSocket.connect({ server: { address: "127.0.0.1", port: turn.port }, username: turn.username, password: turn.password });
      const err = await TurnUdpSocket.connect({ server: { address: "127.0.0.1", port: turn.port }, username: turn.username, password: turn.password }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TurnError);
      expect((err as TurnError).kind).toBe("quota");
      expect((err as TurnError).stunErrorCode).toBe(486);
      await first.close();
    } finally {
      await turn.stop();
    }
  });

  it("close() after coturn went away still finishes (bounded wait for the Refresh answer), and sends then go nowhere without throwing", async () => {
    const turn = await startCoturn();
    const s = await TurnUdpSocket.connect({ server: { address: "127.0.0.1", port: turn.port }, username: turn.username, password: turn.password });
    await turn.stop();
    s.send(transportAddress("127.0.0.1", 9), Uint8Array.of(1)); // queued for a permission that will never come
    await s.close(300);
    expect(s.stats().requestsSent).toBeGreaterThanOrEqual(4); // 2 Allocate, CreatePermission, Refresh(0)
    s.send(transportAddress("127.0.0.1", 9), Uint8Array.of(2));
  });

  it("STUN Binding over IPv6 to coturn on ::1: XOR-MAPPED-ADDRESS (RFC 8489 14.2, XOR with cookie and transaction ID) gives [::1]:ourport", async () => {
    const turn = await startCoturn({ extraListeningIps: ["::1"] });
    const sock = createSocket("udp6");
    try {
      await new Promise<void>((res) => sock.bind(0, "::1", res));
      const r = await stunBindingRequest({ address: "::1", port: turn.port }, { socket: sock });
      expect(r.mapped).toEqual({ family: 6, address: "::1", port: sock.address().port });
    } finally {
      sock.close();
      await turn.stop();
    }
  });

  it("438 Stale Nonce (RFC 8489 9.2.5): a Refresh after the nonce expired retries with the new nonce and succeeds", async () => {
    const turn = await startCoturn({ extraArgs: ["--stale-nonce=1"] });
    const sock = createSocket("udp4");
    await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
    try {
      const client = new TurnClient({ server: { address: "127.0.0.1", port: turn.port }, username: turn.username, password: turn.password, seed: 3 });
      const d = new VirtualClockDriver(client, sock);
      client.allocate(d.nowUs);
      d.flush();
      await until(() => d.events.some((e) => e.type === "allocated"), "allocated");
      await new Promise((r) => setTimeout(r, 2200)); // real time: coturn's nonce goes stale
      client.refresh(d.nowUs);
      d.flush();
      await until(() => d.events.some((e) => e.type === "refreshed" || e.type === "error"), "refresh outcome");
      expect(d.events.filter((e) => e.type === "error")).toEqual([]);
      expect(client.stats().staleNonces).toBeGreaterThanOrEqual(1);
      client.close(d.nowUs);
      d.flush();
      await until(() => client.state === "closed", "closed");
    } finally {
      sock.close();
      await turn.stop();
    }
  });
});
