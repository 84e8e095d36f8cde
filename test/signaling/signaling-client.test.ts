import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { parseServerMessage, SignalingMessageError } from "../../src/signaling/parse-signaling-message.js";
import { SignalingClient, type IncomingCall } from "../../src/signaling/signaling-client.js";
import { SignalingError } from "../../src/signaling/signaling-error.js";
import { SignalingServer } from "../../src/signaling/signaling-server.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { eventually } from "./signaling-test-helpers.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function rejection(p: Promise<unknown>): Promise<SignalingError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SignalingError);
    return e as SignalingError;
  }
  throw new Error("expected the request to be refused");
}

/** A bare `ws` server (not ours) whose connection handler the test scripts. */
async function scriptedServer(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  cleanup.push(() => new Promise((r) => wss.close(r)));
  wss.on("connection", (ws) => {
    cleanup.push(async () => ws.terminate());
    onConnection(ws);
  });
  return `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
}

describe("SignalingClient: typed errors", () => {
  it("a request with no reply times out; after a close requests fail with closed", async () => {
    const url = await scriptedServer(() => undefined); // never answers
    const c = await SignalingClient.connect(url, { requestTimeoutMs: 50 });
    const e = await rejection(c.register("alice"));
    expect(e.reason).toBe("timeout");
    expect(e.message).toMatch(/Cannot register: no reply within 50 ms/);
    await c.close();
    expect((await rejection(c.offer("bob", "call-0000001", "x"))).reason).toBe("closed");
    expect(c.stats().timeouts).toBe(1);
  });

  it("connecting to nothing is a closed error", async () => {
    const s = await SignalingServer.start();
    const url = s.url;
    await s.close();
    const e = await rejection(SignalingClient.connect(url));
    expect(e.reason).toBe("closed");
    expect(e.message).toMatch(/Cannot connect to ws:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it("a server closing takes pending requests down with closed, not a hang", async () => {
    const s = await SignalingServer.start();
    const c = await SignalingClient.connect(s.url);
    await c.register("alice");
    const closed = new Promise<number>((resolve) => c.once("close", (code) => resolve(code)));
    await s.close();
    expect(await closed).toBe(1001);
    expect((await rejection(c.watch(["x"]))).reason).toBe("closed");
  });
});

describe("SignalingClient against a hostile server", () => {
  it("drops and counts every frame the protocol does not allow, and still works", async () => {
    const rng = new SeededRandom(0xc11e);
    const frames: (string | Uint8Array)[] = [];
    let expectedMalformed = 0;
    for (let n = 0; n < 2000; n++) {
      if (n % 7 === 0) {
        frames.push(rng.fill(new Uint8Array(rng.int(0, 64))));
        expectedMalformed++;
        continue;
      }
      let s = JSON.stringify([
        { v: 1, type: "offer", from: "mallory", callId: "call-0000001", payload: "p" },
        { v: 1, type: "presence", identity: "bob", online: true },
        { v: 1, type: "ack", id: 999 },
        { v: 1, type: "error", code: "unknown-peer", message: "x" },
      ][rng.int(0, 3)]);
      const i = rng.int(0, s.length);
      s = [s.slice(0, i), s.slice(0, i) + String.fromCharCode(rng.int(32, 126)) + s.slice(i + 1), s.slice(0, i) + s.slice(i + 2)][rng.int(0, 2)]!;
      try {
        parseServerMessage(s);
      } catch (e) {
        if (!(e instanceof SignalingMessageError)) throw e;
        expectedMalformed++;
      }
      frames.push(s);
    }
    const url = await scriptedServer((ws) => {
      ws.on("message", (data) => {
        const request = JSON.parse(data.toString()) as { id: number };
        for (const f of frames) ws.send(f, { binary: f instanceof Uint8Array });
        ws.send(JSON.stringify({ v: 1, type: "offer", from: "alice", callId: "call-0000042", payload: "real" }));
        ws.send(JSON.stringify({ v: 1, type: "ack", id: request.id }));
      });
    });
    const c = await SignalingClient.connect(url);
    cleanup.push(() => c.close());
    const offers: IncomingCall[] = [];
    c.on("offer", (m) => offers.push(m));
    c.on("refused", () => undefined);
    await c.register("bob"); // resolved by the ack after all the garbage
    expect(c.stats().malformedDropped).toBe(expectedMalformed);
    expect(expectedMalformed).toBeGreaterThan(500);
    expect(offers.at(-1)).toEqual({ type: "offer", from: "alice", callId: "call-0000042", payload: "real" });
    expect(c.open).toBe(true);
  });

  it("an error the server could not tie to a request arrives as a refused event with its code", async () => {
    const s = await SignalingServer.start({ rateLimitPerS: 1, rateLimitBurst: 2 });
    cleanup.push(() => s.close());
    const c = await SignalingClient.connect(s.url, { requestTimeoutMs: 300 });
    cleanup.push(() => c.close());
    const refused: SignalingError[] = [];
    c.on("refused", (e) => refused.push(e));
    await c.register("alice");
    const results = await Promise.allSettled([c.watch(["x"]), c.watch(["y"]), c.watch(["z"])]);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(2); // dropped unread: their ids are unknown, so they time out
    await eventually(() => refused.length === 2);
    expect(refused.map((e) => e.reason)).toEqual(["rate-limited", "rate-limited"]);
    expect(refused[0]!.code).toBe("ERR_QUEUE_FULL");
  });
});

describe("SignalingClient reconnect policy", () => {
  it("after the server restarts: reconnects, re-registers, re-watches, and calls work again", async () => {
    const first = await SignalingServer.start();
    const port = first.address.port;
    const alice = await SignalingClient.connect(first.url, { reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxAttempts: 50 } });
    cleanup.push(() => alice.close());
    await alice.register("alice");
    expect(await alice.watch(["bob"])).toEqual({ online: [], offline: ["bob"] });
    const disconnected = new Promise<number>((r) => alice.once("disconnected", (code) => r(code)));
    const reconnected = new Promise<number>((r) => alice.once("reconnected", (n) => r(n)));
    await first.close();
    expect(await disconnected).toBe(1001);
    expect(alice.open).toBe(false);
    expect((await rejection(alice.offer("bob", "call-0000001", "x"))).reason).toBe("closed");
    const second = await SignalingServer.start({ port });
    cleanup.push(() => second.close());
    expect(await reconnected).toBeGreaterThanOrEqual(1);
    expect(alice.open).toBe(true);
    expect(second.stats().registered).toBe(1);
    // The watch came back with the connection: bob's arrival is reported.
    const bobOnline = new Promise<[string, boolean]>((r) => alice.on("presence", (i, o) => o && r([i, o])));
    const bob = await SignalingClient.connect(second.url);
    cleanup.push(() => bob.close());
    await bob.register("bob");
    expect(await bobOnline).toEqual(["bob", true]);
    const offer = new Promise<IncomingCall>((r) => alice.once("offer", r));
    await bob.offer("alice", "call-after-restart", "hi");
    expect((await offer).payload).toBe("hi");
    expect(alice.stats().reconnects).toBe(1);
  });

  it("gives up after maxAttempts with a close event; close() stops it at once", async () => {
    const s = await SignalingServer.start();
    const c = await SignalingClient.connect(s.url, { reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } });
    const ended = new Promise<number>((r) => c.once("close", (code) => r(code)));
    await s.close();
    expect(await ended).toBe(1001);
    expect(c.stats().reconnects).toBe(0);

    const s2 = await SignalingServer.start();
    cleanup.push(() => s2.close());
    const d = await SignalingClient.connect(s2.url, { reconnect: { initialDelayMs: 5 } });
    const closed = new Promise<number>((r) => d.once("close", (code) => r(code)));
    await d.close();
    expect(await closed).toBe(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(s2.stats().connectionsAccepted).toBe(1); // no reconnection after close()
  });
});
