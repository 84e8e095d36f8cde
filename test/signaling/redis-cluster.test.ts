import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SignalingClient, type IncomingCall } from "../../src/signaling/signaling-client.js";
import { SignalingError } from "../../src/signaling/signaling-error.js";
import { RedisSignalingBackend } from "../../src/signaling/redis-signaling-backend.js";
import type { SignalingBackendHandlers } from "../../src/signaling/signaling-backend.js";
import { SignalingServer } from "../../src/signaling/signaling-server.js";
import { redisAvailable, startRedis, type RedisUnderTest } from "./redis-harness.js";
import { eventually } from "./signaling-test-helpers.js";

const REPO = resolve(import.meta.dirname, "../..");
const run = redisAvailable("signaling cluster on Redis");
const NODE_TTL_MS = 600;

describe.skipIf(!run)("SignalingServer cluster on a real redis-server", () => {
  let redis: RedisUnderTest;
  let inspect: Redis;
  const cleanup: (() => Promise<unknown>)[] = [];
  let prefixCounter = 0;
  let prefix = "";

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
  });
  afterAll(async () => {
    inspect?.disconnect();
    await redis?.stop();
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
  });

  // Each test its own key prefix, so nodes of one test never see another's.
  async function node(nodeId: string): Promise<SignalingServer> {
    const s = await SignalingServer.start({ cluster: redis.url, nodeId, nodeTtlMs: NODE_TTL_MS, keyPrefix: prefix });
    cleanup.push(() => s.close());
    return s;
  }
  async function client(s: SignalingServer | string, identity: string): Promise<SignalingClient> {
    const c = await SignalingClient.connect(typeof s === "string" ? s : s.url);
    cleanup.push(() => c.close());
    await c.register(identity);
    return c;
  }
  const owners = async (): Promise<Record<string, string>> => inspect.hgetall(`${prefix}owners`);

  beforeEach(() => {
    prefix = `t${++prefixCounter}:sig:`;
  });

  it("a call between two clients registered on different nodes", async () => {
    const a = await node("node-a");
    const b = await node("node-b");
    const alice = await client(a, "alice");
    const bob = await client(b, "bob");
    expect(await owners()).toEqual({ alice: "node-a", bob: "node-b" });
    expect(await alice.watch(["bob", "carol"])).toEqual({ online: ["bob"], offline: ["carol"] });
    const payload = JSON.stringify({ sdp: "v=0", e2ee: "opaque" }) + " 🔑\\";
    const offer = new Promise<IncomingCall>((r) => bob.once("offer", r));
    await alice.offer("bob", "call-xnode-1", payload);
    expect(await offer).toEqual({ type: "offer", from: "alice", callId: "call-xnode-1", payload });
    const answer = new Promise<IncomingCall>((r) => alice.once("answer", r));
    await bob.answer("alice", "call-xnode-1", "answer");
    expect((await answer).payload).toBe("answer");
    const cands: string[] = [];
    alice.on("candidate", (m) => cands.push(m.payload!));
    for (let i = 0; i < 20; i++) await bob.candidate("alice", "call-xnode-1", `cand-${i}`);
    await eventually(() => cands.length === 20);
    expect(cands).toEqual(Array.from({ length: 20 }, (_, i) => `cand-${i}`)); // order kept across nodes
    const hangUp = new Promise<IncomingCall>((r) => bob.once("hang-up", r));
    await alice.hangUp("bob", "call-xnode-1");
    expect((await hangUp).callId).toBe("call-xnode-1");
    expect(a.stats().relayedToOtherNodes).toBe(2);
    expect(b.stats().relayedToOtherNodes).toBe(21);
    expect(b.stats().backend["deliveredFromOtherNodes"]).toBe(2);

    // Cluster-wide rules: an identity held on one node cannot be taken on the other, and an
    // offer's call id replayed through the other node is refused.
    const thief = await SignalingClient.connect(a.url);
    cleanup.push(() => thief.close());
    await expect(thief.register("bob")).rejects.toMatchObject({ reason: "identity-taken" });
    const mallory = await client(b, "mallory");
    await expect(mallory.offer("bob", "call-xnode-1", payload)).rejects.toMatchObject({ reason: "replayed-offer" });
    await expect(alice.offer("nobody", "call-xnode-2", "x")).rejects.toBeInstanceOf(SignalingError);
  });

  it("a node closing drops only its own clients; the other node's watchers see them go", async () => {
    const a = await node("node-a");
    const b = await node("node-b");
    const alice = await client(a, "alice");
    await client(b, "bob");
    await client(b, "bert");
    expect(await alice.watch(["bob", "bert"])).toEqual({ online: ["bob", "bert"], offline: [] });
    const gone: string[] = [];
    alice.on("presence", (i, online) => !online && gone.push(i));
    await b.close();
    await eventually(() => gone.length === 2, 5000, "offline events for bob and bert");
    expect(gone.sort()).toEqual(["bert", "bob"]);
    expect(await owners()).toEqual({ alice: "node-a" });
    expect(await inspect.sismember(`${prefix}nodes`, "node-b")).toBe(0);
    expect(alice.open).toBe(true);
    await expect(alice.offer("bob", "call-after-close", "x")).rejects.toMatchObject({ reason: "unknown-peer" });
    expect(a.stats().registered).toBe(1);
  });

  it("a killed node's clients disappear after its TTL; the identity can then register elsewhere", async () => {
    prefix = "rtcpipe:sig:"; // the CLI's default prefix (this is the only test on it)
    const a = await node("node-a");
    const alice = await client(a, "alice");
    // Node B is a real `rtcpipe signal --cluster` process, killed with SIGKILL (no goodbye).
    const proc = spawn(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), "signal", "--port", "0", "--cluster", redis.url, "--node-id", "node-b", "--node-ttl", String(NODE_TTL_MS), "--json"], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env },
    });
    cleanup.push(async () => proc.kill("SIGKILL"));
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await eventually(() => /"url"/.test(out), 30_000, "rtcpipe signal to print its address");
    const { url } = JSON.parse(out.split("\n")[0]!) as { url: string };
    const a2 = await node("node-a2"); // a node on the CLI's prefix, to watch from
    const watcher = await client(a2, "watcher");
    const bob = await client(url, "bob");
    expect(await watcher.watch(["bob"])).toEqual({ online: ["bob"], offline: [] });
    expect(bob.open).toBe(true);
    const offline = new Promise<number>((r) => watcher.once("presence", (i, online) => i === "bob" && !online && r(Date.now())));
    const killedAt = Date.now();
    proc.kill("SIGKILL");
    const goneAt = await offline;
    console.log(`signaling cluster: node killed, its client went offline on the other node after ${goneAt - killedAt} ms (node TTL ${NODE_TTL_MS} ms, heartbeat ${NODE_TTL_MS / 3} ms)`);
    expect(await owners()).toEqual({ alice: "node-a", watcher: "node-a2" });
    expect(await watcher.watch(["bob"])).toEqual({ online: [], offline: ["bob"] });
    // Only the dead node's clients: the others are still there.
    expect(watcher.open && alice.open).toBe(true);
    // Exactly one surviving node reaped bob (the reap runs atomically in Redis).
    expect(a2.stats().backend["reapedIdentities"]! + a.stats().backend["reapedIdentities"]!).toBe(1);
    // bob can come back on a live node.
    await client(a2, "bob");
    expect((await owners())["bob"]).toBe("node-a2");
  });
  it("a node presumed dead (its liveness key gone) claims its identities back and evicts the one another node took", async () => {
    const evicted: string[] = [];
    const handlers = (evict: boolean): SignalingBackendHandlers => ({ deliver: () => true, presence: () => undefined, evicted: (i) => void (evict && evicted.push(i)) });
    const a = new RedisSignalingBackend({ url: redis.url, nodeId: "node-a", nodeTtlMs: 2000, nodeHeartbeatMs: 500, keyPrefix: prefix });
    const b = new RedisSignalingBackend({ url: redis.url, nodeId: "node-b", nodeTtlMs: 2000, nodeHeartbeatMs: 500, keyPrefix: prefix });
    cleanup.push(() => a.close(), () => b.close());
    await a.start(handlers(false));
    await b.start(handlers(true));
    expect(await b.claim("bob")).toBe(true);
    expect(await b.claim("bert")).toBe(true);
    expect(await a.claim("bob")).toBe(false);
    // Right after one of b's heartbeats (so the next is ~500 ms away), b "dies" and a takes bob.
    const beats = b.stats()["heartbeats"]!;
    await eventually(() => b.stats()["heartbeats"]! > beats, 5000, "a heartbeat of node b");
    await inspect.del(`${prefix}node:node-b`);
    expect(await a.claim("bob")).toBe(true);
    expect(await a.locate(["bob", "bert"])).toEqual(["node-a", undefined]);
    await eventually(async () => evicted.length > 0 && (await owners())["bert"] === "node-b", 5000, "node b noticing it was presumed dead");
    expect(evicted).toEqual(["bob"]);
    expect(b.stats()["revivals"]).toBe(1);
    expect(await owners()).toEqual({ bob: "node-a", bert: "node-b" });
    expect(b.stats()).toMatchObject({ evictions: 1, heldIdentities: 1 });
  });
});
