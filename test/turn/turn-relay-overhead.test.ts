/**
 * Two TurnClients relay a stream of RTP-sized datagrams to each other through a real coturn;
 * the same stream also goes direct between two plain UDP sockets. Reports, per mode, the bytes
 * on the client-server wire per datagram and the one-way latency on loopback (printed; the
 * assertions are on delivery and exact header overheads, not on time).
 */
import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transportAddress, type TransportAddress } from "../../src/stun/transport-address.js";
import { TurnUdpSocket } from "../../src/turn/turn-udp-socket.js";
import { coturnAvailable, startCoturn, type Coturn } from "./coturn-harness.js";

const run = coturnAvailable("TURN relay overhead");
const COUNT = 1000;
const SIZE = 1200;
const BURST = 5;
const BURST_INTERVAL_MS = 5; // 1000 datagrams/s, 9.6 Mbit/s of payload

function packet(seq: number): Uint8Array {
  const p = new Uint8Array(SIZE);
  for (let k = 0; k < SIZE; k++) p[k] = (seq * 13 + k) & 0xff;
  p[0] = 0x80; // RTP version 2
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  return p;
}

function stamp(p: Uint8Array): void {
  new DataView(p.buffer, p.byteOffset).setFloat64(12, performance.now());
}

interface Result {
  received: number;
  exact: number;
  latenciesMs: number[];
}

function recorder(): { result: Result; onPacket: (d: Uint8Array) => void } {
  const result: Result = { received: 0, exact: 0, latenciesMs: [] };
  return {
    result,
    onPacket: (d) => {
      const now = performance.now();
      result.received++;
      const seq = (d[2]! << 8) | d[3]!;
      const expected = packet(seq);
      let same = d.length === SIZE;
      for (let k = 0; same && k < SIZE; k++) if ((k < 12 || k >= 20) && d[k] !== expected[k]) same = false;
      if (same) result.exact++;
      result.latenciesMs.push(now - new DataView(d.buffer, d.byteOffset).getFloat64(12));
    },
  };
}

async function stream(send: (p: Uint8Array) => void, result: Result): Promise<void> {
  for (let seq = 0; seq < COUNT; seq += BURST) {
    for (let i = seq; i < seq + BURST; i++) {
      const p = packet(i);
      stamp(p);
      send(p);
    }
    await new Promise((r) => setTimeout(r, BURST_INTERVAL_MS));
  }
  const end = Date.now() + 5000;
  while (result.received < COUNT && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

describe.skipIf(!run)("relay overhead: two TurnClients through coturn vs direct UDP", () => {
  let turn: Coturn;
  const rows: string[] = [];
  beforeAll(async () => {
    turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
    if (rows.length > 0) console.log(["relay overhead on loopback (1000 x 1200-byte datagrams, 1000/s):", "mode                 | recv | wire bytes/dgram out | in   | one-way ms p50 | p95", ...rows].join("\n"));
  });

  it("direct UDP baseline", async () => {
    const a: Socket = createSocket("udp4");
    const b: Socket = createSocket("udp4");
    await Promise.all([new Promise<void>((r) => a.bind(0, "127.0.0.1", r)), new Promise<void>((r) => b.bind(0, "127.0.0.1", r))]);
    const rec = recorder();
    b.on("message", (d: Buffer) => rec.onPacket(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    await stream((p) => a.send(p, b.address().port, "127.0.0.1"), rec.result);
    a.close();
    b.close();
    expect(rec.result.received).toBe(COUNT);
    expect(rec.result.exact).toBe(COUNT);
    rows.push(`direct UDP           | ${rec.result.received} | ${SIZE}                 | ${SIZE} | ${pct(rec.result.latenciesMs, 0.5).toFixed(3)}          | ${pct(rec.result.latenciesMs, 0.95).toFixed(3)}`);
  });

  for (const mode of ["send-indication", "channel-data"] as const) {
    it(`${mode}: every datagram arrives byte-exact through two relays, with the header overhead of RFC 8656 ${mode === "channel-data" ? "12.4" : "10"}`, async () => {
      const server = { address: "127.0.0.1", port: turn.port };
      const A = await TurnUdpSocket.connect({ server, username: turn.username, password: turn.password });
      const B = await TurnUdpSocket.connect({ server, username: turn.username, password: turn.password });
      try {
        const toB: TransportAddress = B.relayedAddress;
        const toA: TransportAddress = A.relayedAddress;
        if (mode === "channel-data") {
          await Promise.all([A.bindChannel(toB), B.bindChannel(toA)]);
        } else {
          await Promise.all([A.createPermission(toB), B.createPermission(toA)]);
        }
        const rec = recorder();
        B.onData = (d, from) => {
          expect(from).toEqual(toA);
          rec.onPacket(d);
        };
        const before = { aOut: A.stats().bytesToServer, aOutN: A.stats().datagramsToServer, bIn: B.stats().bytesFromServer, bInN: B.stats().datagramsFromServer };
        await stream((p) => A.send(toB, p), rec.result);
        const aOut = A.stats().bytesToServer - before.aOut;
        const aOutN = A.stats().datagramsToServer - before.aOutN;
        const bIn = B.stats().bytesFromServer - before.bIn;
        const bInN = B.stats().datagramsFromServer - before.bInN;
        expect(rec.result.received).toBe(COUNT);
        expect(rec.result.exact).toBe(COUNT);
        expect(aOutN).toBe(COUNT);
        expect(bInN).toBe(COUNT);
        const outPer = aOut / COUNT;
        const inPer = bIn / COUNT;
        if (mode === "channel-data") {
          expect(outPer).toBe(SIZE + 4);
          expect(inPer).toBe(SIZE + 4);
        } else {
          // Send indication: 20 header + 12 XOR-PEER-ADDRESS + 4 DATA header (1200 needs no padding).
          expect(outPer).toBe(SIZE + 36);
          expect(inPer).toBeGreaterThanOrEqual(SIZE + 36); // coturn may add FINGERPRINT
        }
        rows.push(`${mode.padEnd(20)} | ${rec.result.received} | ${outPer} (+${outPer - SIZE})          | ${inPer} (+${inPer - SIZE}) | ${pct(rec.result.latenciesMs, 0.5).toFixed(3)}          | ${pct(rec.result.latenciesMs, 0.95).toFixed(3)}`);
        expect(transportAddress(toB.address, toB.port)).toEqual(toB);
      } finally {
        await A.close();
        await B.close();
      }
    });
  }
});
