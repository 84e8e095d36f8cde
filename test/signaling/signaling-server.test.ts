import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { parseClientMessage, SignalingMessageError } from "../../src/signaling/parse-signaling-message.js";
import { SignalingClient, type IncomingCall } from "../../src/signaling/signaling-client.js";
import { SignalingError } from "../../src/signaling/signaling-error.js";
import { SignalingServer, type SignalingServerOptions } from "../../src/signaling/signaling-server.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { eventually, RawSocket } from "./signaling-test-helpers.js";

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function server(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const s = await SignalingServer.start(options);
  cleanup.push(() => s.close());
  return s;
}

async function client(s: SignalingServer, identity?: string): Promise<SignalingClient> {
  const c = await SignalingClient.connect(s.url, { requestTimeoutMs: 3000 });
  cleanup.push(() => c.close());
  if (identity !== undefined) await c.register(identity);
  return c;
}

async function raw(s: SignalingServer): Promise<RawSocket> {
  const r = await RawSocket.open(s.url);
  cleanup.push(async () => r.ws.terminate());
  return r;
}

function next(c: SignalingClient, event: "offer" | "answer" | "candidate" | "hang-up"): Promise<IncomingCall> {
  return new Promise((resolve) => c.once(event, resolve));
}

async function rejection(p: Promise<unknown>): Promise<SignalingError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SignalingError);
    return e as SignalingError;
  }
  throw new Error("expected the request to be refused");
}

describe("SignalingServer + SignalingClient: a call's messages end to end", () => {
  it("relays offer, answer, candidates and hang-up between two identities, payloads byte for byte", async () => {
    const s = await server();
    const alice = await client(s, "alice");
    const bob = await client(s, "bob");
    // Payloads the server must not touch: JSON-looking text, escapes, unicode, near the size limit.
    const offerPayload = JSON.stringify({ sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n", key: "AAEC/+8=" }) + ' \\u0000 "\u2028 🔑';
    const bigCandidate = "c".repeat(60_000);
    const gotOffer = next(bob, "offer");
    await alice.offer("bob", "call-0000001", offerPayload);
    expect(await gotOffer).toEqual({ type: "offer", from: "alice", callId: "call-0000001", payload: offerPayload });
    const gotAnswer = next(alice, "answer");
    await bob.answer("alice", "call-0000001", "answer-sdp");
    expect(await gotAnswer).toEqual({ type: "answer", from: "bob", callId: "call-0000001", payload: "answer-sdp" });
    const candidates: IncomingCall[] = [];
    bob.on("candidate", (m) => candidates.push(m));
    for (const p of ["cand-1", "cand-2", bigCandidate]) await alice.candidate("bob", "call-0000001", p);
    await eventually(() => candidates.length === 3);
    expect(candidates.map((c) => c.payload)).toEqual(["cand-1", "cand-2", bigCandidate]); // in order
    const gotHangUp = next(bob, "hang-up");
    await alice.hangUp("bob", "call-0000001");
    expect(await gotHangUp).toEqual({ type: "hang-up", from: "alice", callId: "call-0000001", payload: undefined });
    expect(s.stats()).toMatchObject({ relayed: 6, errorsSent: 0, registered: 2 });
  });

  it("presence: watch answers who is online, then reports changes", async () => {
    const s = await server();
    const alice = await client(s, "alice");
    await client(s, "bob");
    expect(await alice.watch(["bob", "carol"])).toEqual({ online: ["bob"], offline: ["carol"] });
    const events: [string, boolean][] = [];
    alice.on("presence", (i, o) => events.push([i, o]));
    const carol = await client(s, "carol");
    await carol.close();
    await eventually(() => events.length === 2);
    expect(events).toEqual([
      ["carol", true],
      ["carol", false],
    ]);
    // Nobody watched dave: alice hears nothing of him.
    await (await client(s, "dave")).close();
    expect(await alice.watch(["carol", "dave"])).toEqual({ online: [], offline: ["carol", "dave"] });
    expect(events).toHaveLength(2);
  });
});

describe("SignalingServer: bad input gets a coded error (or a close), is counted, and the server goes on", () => {
  it("unknown peer", async () => {
    const s = await server();
    const alice = await client(s, "alice");
    const e = await rejection(alice.offer("zed", "call-0000001", "x"));
    expect(e.reason).toBe("unknown-peer");
    expect(e.message).toMatch(/Cannot send offer to zed: not online/);
    expect(s.stats().unknownPeer).toBe(1);
    // The call id was not used up by the failed offer.
    await client(s, "zed");
    await alice.offer("zed", "call-0000001", "x");
  });

  it("not registered: every request but register is refused before registration", async () => {
    const s = await server();
    await client(s, "bob");
    const r = await raw(s);
    for (const [id, m] of [
      [1, { type: "offer", to: "bob", callId: "call-0000001", payload: "x" }],
      [2, { type: "watch", identities: ["bob"] }],
    ] as const) {
      r.send({ v: 1, id, ...m });
      expect(await r.reply((x) => x["id"] === id)).toMatchObject({ type: "error", code: "not-registered" });
    }
    expect(s.stats().notRegistered).toBe(2);
  });

  it("duplicate identity, and registering twice on one connection", async () => {
    const s = await server();
    const first = await client(s, "alice");
    const second = await client(s);
    const e = await rejection(second.register("alice"));
    expect(e.reason).toBe("identity-taken");
    expect(e.code).toBe("ERR_INVALID_OPTION");
    expect((await rejection(first.register("alice2"))).reason).toBe("already-registered");
    // Two racing registrations of one identity: exactly one wins.
    const [x, y] = [await client(s), await client(s)];
    const results = await Promise.allSettled([x.register("carol"), y.register("carol")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(s.stats().identityTaken).toBe(2);
    // Once the holder leaves, the identity is free again.
    await first.close();
    await eventually(() => s.stats().registered === 1);
    await second.register("alice");
  });

  it("oversized messages: above maxMessageBytes an error and the connection stays; above 4x a close (1009)", async () => {
    const s = await server();
    await client(s, "bob");
    const r = await raw(s);
    r.send({ v: 1, type: "register", id: 1, identity: "alice" });
    await r.reply((m) => m["id"] === 1);
    r.send({ v: 1, type: "offer", id: 2, to: "bob", callId: "call-0000001", payload: "x".repeat(70_000) });
    expect(await r.reply((m) => m["type"] === "error")).toMatchObject({ code: "too-large" });
    r.send({ v: 1, type: "offer", id: 3, to: "bob", callId: "call-0000001", payload: "x" });
    expect(await r.reply((m) => m["id"] === 3)).toEqual({ v: 1, type: "ack", id: 3 });
    r.send("x".repeat(300_000));
    expect(await r.closed()).toBe(1009);
    expect(s.stats()).toMatchObject({ tooLarge: 1, relayed: 1 });
    expect(s.stats().socketErrors).toBeGreaterThanOrEqual(1);
  });

  it("rate limit flood: errors beyond the burst, then a close (1008); other clients unaffected", async () => {
    const s = await server({ rateLimitPerS: 10, rateLimitBurst: 20, rateLimitCloseAfter: 50 });
    const bob = await client(s, "bob");
    const r = await raw(s);
    r.send({ v: 1, type: "register", id: 1, identity: "flooder" });
    await r.reply((m) => m["id"] === 1);
    for (let i = 0; i < 500; i++) r.send({ v: 1, type: "watch", identities: ["bob"] });
    expect(await r.closed()).toBe(1008);
    const limited = r.replies.filter((m) => m["code"] === "rate-limited");
    expect(limited.length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeLessThan(50);
    expect(r.replies.filter((m) => m["type"] === "presence-state").length).toBeLessThanOrEqual(25);
    const st = s.stats();
    expect(st.rateLimited).toBe(50);
    expect(st.closedForFlood).toBe(1);
    expect(await bob.watch(["flooder"])).toEqual({ online: [], offline: ["flooder"] });
  });

  it("replayed offer: the same call id is refused, a new one goes through", async () => {
    const s = await server();
    const alice = await client(s, "alice");
    const bob = await client(s, "bob");
    const offers: IncomingCall[] = [];
    bob.on("offer", (m) => offers.push(m));
    await alice.offer("bob", "call-0000001", "o1");
    const e = await rejection(alice.offer("bob", "call-0000001", "o1"));
    expect(e.reason).toBe("replayed-offer");
    expect(e.code).toBe("ERR_REPLAYED");
    // Another sender replaying the captured call id is refused too.
    const mallory = await client(s, "mallory");
    expect((await rejection(mallory.offer("bob", "call-0000001", "o1"))).reason).toBe("replayed-offer");
    await alice.offer("bob", "call-0000002", "o2");
    await eventually(() => offers.length === 2);
    expect(offers.map((o) => o.callId)).toEqual(["call-0000001", "call-0000002"]);
    expect(s.stats().replayedOffers).toBe(2);
  });

  it("binary frames are refused as malformed", async () => {
    const s = await server();
    const r = await raw(s);
    r.send(new TextEncoder().encode(JSON.stringify({ v: 1, type: "register", identity: "alice" })));
    expect(await r.reply((m) => m["type"] === "error")).toMatchObject({ code: "malformed" });
    expect(s.stats()).toMatchObject({ binaryFrames: 1, registered: 0 });
  });

  it("registration timeout closes a silent connection (4001)", async () => {
    const s = await server({ registerTimeoutMs: 300 });
    const r = await raw(s);
    const registered = await client(s, "alice");
    expect(await r.closed()).toBe(4001);
    expect(s.stats().registerTimeouts).toBe(1);
    expect(registered.open).toBe(true);
  });

  it("heartbeat: a client that stops answering pings is dropped and goes offline; live ones stay", async () => {
    const s = await server({ heartbeatIntervalMs: 250 });
    const watcher = await client(s, "watcher");
    const dead = await RawSocket.open(s.url);
    cleanup.push(async () => dead.ws.terminate());
    dead.send({ v: 1, type: "register", id: 1, identity: "ghost" });
    await dead.reply((m) => m["id"] === 1);
    expect(await watcher.watch(["ghost"])).toEqual({ online: ["ghost"], offline: [] });
    const offline = new Promise<[string, boolean]>((resolve) => watcher.once("presence", (i, o) => resolve([i, o])));
    dead.ws.pause(); // stops reading the socket: no ping is seen, no pong goes back
    expect(await offline).toEqual(["ghost", false]);
    expect(s.stats().deadClientsDropped).toBe(1);
    await new Promise((r) => setTimeout(r, 600)); // two more ping rounds
    expect(watcher.open).toBe(true);
    expect(s.stats().registered).toBe(1);
  });

  it("max connections: one more is closed with 1013", async () => {
    const s = await server({ maxConnections: 2 });
    await client(s, "a");
    await client(s, "b");
    const third = await raw(s);
    expect(await third.closed()).toBe(1013);
    expect(s.stats()).toMatchObject({ refusedFull: 1, connections: 2 });
  });

  it("options are validated, a taken port is a clear error", async () => {
    await expect(SignalingServer.start({ port: 70000 })).rejects.toThrow(InvalidOptionError);
    await expect(SignalingServer.start({ rateLimitPerS: 0 })).rejects.toThrow(/rateLimitPerS=0: allowed is a number from 1/);
    await expect(SignalingServer.start({ cluster: "http://x" })).rejects.toThrow(/allowed is a Redis URL/);
    const s = await server();
    await expect(SignalingServer.start({ port: s.address.port })).rejects.toThrow(/Cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });
});

// Frames mutated from valid ones, random text, random binary: the server must answer every
// frame the validator refuses with a malformed / too-large / unsupported-version error (the
// same verdict as parseClientMessage), handle the valid ones, count it all, and keep serving.
function fuzzFrame(rng: SeededRandom): string | Uint8Array {
  const kind = rng.int(0, 9);
  if (kind === 0) return rng.fill(new Uint8Array(rng.int(0, 200)));
  if (kind === 1) return new TextDecoder().decode(rng.fill(new Uint8Array(rng.int(0, 100))));
  const base: Record<string, unknown>[] = [
    { v: 1, type: "offer", id: rng.int(0, 1000), to: "nobody", callId: `call-${rng.int(10000, 99999)}`, payload: "p" },
    { v: 1, type: "watch", identities: ["nobody", "fuzzer"] },
    { v: 1, type: "candidate", to: "nobody", callId: "call-0000001", payload: "c" },
    { v: 1, type: "register", id: 5, identity: "again" },
  ];
  let s = JSON.stringify(base[rng.int(0, base.length - 1)]);
  for (let k = rng.int(1, 3); k > 0; k--) {
    const i = rng.int(0, s.length);
    const op = rng.int(0, 4);
    if (op === 0) s = s.slice(0, i);
    else if (op === 1) s = s.slice(0, i) + String.fromCharCode(rng.int(32, 126)) + s.slice(i + 1);
    else if (op === 2) s = s.slice(0, i) + s.slice(i + rng.int(1, 6));
    else if (op === 3) s = s.replace('"v":1', ['"v":2', '"v":"1"', '"v":null', '"v":1'][rng.int(0, 3)]!);
    else s = s.replace('"p"', `"${"x".repeat(rng.int(0, 1) ? 70_000 : 10)}"`);
  }
  return s;
}

describe("SignalingServer under fuzzing over the wire", () => {
  it("answers every refused frame with the validator's verdict, counts them, and keeps serving", async () => {
    const s = await server({ rateLimitPerS: 1_000_000, rateLimitBurst: 1_000_000 });
    const r = await raw(s);
    r.send({ v: 1, type: "register", id: 0, identity: "fuzzer" });
    await r.reply((m) => m["id"] === 0);
    const rng = new SeededRandom(0xf022);
    const expected = { malformed: 0, "too-large": 0, "unsupported-version": 0 };
    const frames = 3000;
    for (let n = 0; n < frames; n++) {
      const frame = fuzzFrame(rng);
      if (frame instanceof Uint8Array) expected.malformed++;
      else {
        try {
          parseClientMessage(frame);
        } catch (e) {
          if (!(e instanceof SignalingMessageError)) throw e;
          expected[e.problem]++;
        }
      }
      r.send(frame);
    }
    r.send({ v: 1, type: "watch", id: 999_999, identities: [] });
    await r.reply((m) => m["id"] === 999_999, 0, 20_000); // every earlier frame was handled
    const got = (code: string): number => r.replies.filter((m) => m["type"] === "error" && m["code"] === code).length;
    expect(got("malformed")).toBe(expected.malformed);
    expect(got("too-large")).toBe(expected["too-large"]);
    expect(got("unsupported-version")).toBe(expected["unsupported-version"]);
    expect(expected.malformed).toBeGreaterThan(500);
    expect(expected["too-large"]).toBeGreaterThan(10);
    const st = s.stats();
    expect(st.malformed + st.binaryFrames).toBe(expected.malformed + expected["unsupported-version"]);
    expect(st.tooLarge).toBe(expected["too-large"]);
    expect(st.framesIn).toBe(frames + 2);
    expect(r.closeCode).toBeUndefined();
    // Still serving: a fresh pair can call.
    const a = await client(s, "a");
    const b = await client(s, "b");
    const offer = next(b, "offer");
    await a.offer("b", "call-after-fuzz", "ok");
    expect((await offer).payload).toBe("ok");
  });
  it("broken WebSocket framing and non-WebSocket requests: each connection ends (close or timeout), the server goes on", async () => {
    const s = await server({ registerTimeoutMs: 500 });
    const { port } = s.address;
    const rng = new SeededRandom(0xfa11);
    // Upgrades properly, then sends random bytes as if they were frames: bad opcodes, unmasked
    // frames, reserved bits, lengths that never arrive.
    const sessions = Array.from({ length: 40 }, async (_, n) => {
      const sock = connect(port, "127.0.0.1");
      sock.on("error", () => undefined);
      const ended = new Promise<void>((r) => sock.once("close", () => r()));
      let head = "";
      await new Promise<void>((resolve) => {
        sock.on("data", (d: Buffer) => {
          head += d.toString("latin1");
          if (head.includes("\r\n\r\n")) resolve();
        });
        if (n % 10 === 9) sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // no upgrade at all
        else sock.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      if (n % 10 === 9) {
        expect(head).toMatch(/^HTTP\/1.1 426/);
        sock.destroy();
      } else {
        expect(head).toMatch(/^HTTP\/1.1 101/);
        sock.write(rng.fill(new Uint8Array(rng.int(1, 300))));
      }
      await ended;
    });
    await Promise.all(sessions);
    await eventually(() => s.stats().connections === 0);
    const st = s.stats();
    expect(st.connectionsAccepted).toBe(36);
    expect(st.socketErrors + st.registerTimeouts + st.binaryFrames + st.malformed).toBeGreaterThanOrEqual(36);
    const a = await client(s, "a");
    const b = await client(s, "b");
    const offer = next(b, "offer");
    await a.offer("b", "call-after-frames", "ok");
    expect((await offer).payload).toBe("ok");
  });
});
