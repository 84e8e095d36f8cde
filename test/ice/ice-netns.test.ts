/**
 * ICE across a NAT in network namespaces (root only), the topology of
 * /work/shared/interop/netns-nat.sh with our own prefix "icx":
 *
 *   icx-a 10.99.1.2 ── icx-r (nft masquerade, 10.99.1.1 | 10.99.2.1) ── icx-b 10.99.2.2
 *                                                                        coturn 10.99.2.4:3478
 *
 * Agent A (controlling) runs behind the NAT, agent B and coturn outside; each agent is a
 * fixture process (test/ice/fixtures/ice-peer.ts) started with `ip netns exec`, and this test
 * does the signaling over their stdin/stdout. (a) direct UDP allowed: a direct pair is
 * selected; (b) direct UDP blocked by nft (except to the TURN server): a relayed pair is
 * selected; (c) NAT rebinding mid-flow: the path breaks, A restarts ICE, a new pair carries
 * the datagrams again; the gap is measured at both receivers and printed.
 * Without root or `ip netns`: fails when env CI is set, else skips with a message.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { natTopology } from "./netns-topology.js";

const P = "icx";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TURN = { address: "10.99.2.4", port: 3478, username: "test", password: "secret" };

const { NS, inNs, up, down, blockDirect, rebind, available: netnsAvailable } = natTopology(P);

const why = netnsAvailable();
if (why !== undefined) {
  const msg = `ICE netns tests: ${why}; they need root, iproute2 with netns, nftables, conntrack and coturn`;
  if (process.env["CI"]) throw new Error(`${msg} (CI is set, so this fails instead of skipping)`);
  console.warn(`SKIPPED ${msg}`);
}

type Ev = Record<string, unknown> & { ev: string };

/** One fixture process in a namespace. */
class Peer {
  readonly events: Ev[] = [];
  onEvent: (e: Ev) => void = () => {};
  private readonly proc: ChildProcess;
  private stderr = "";
  constructor(ns: string, readonly name: string) {
    this.proc = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", "test/ice/fixtures/ice-peer.ts"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      let e: Ev;
      try {
        e = JSON.parse(line) as Ev;
      } catch {
        this.stderr += `(stdout) ${line}\n`;
        return;
      }
      this.events.push(e);
      this.onEvent(e);
    });
  }
  send(cmd: Record<string, unknown>): void {
    this.proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  async waitFor(pred: (e: Ev) => boolean, timeoutMs: number, what: string): Promise<Ev> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms; events ${JSON.stringify(this.events.map((e) => e.ev))}; stderr ${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  async request(cmd: Record<string, unknown>, ev: string): Promise<Ev> {
    const n = this.events.length;
    this.send(cmd);
    return this.waitFor((e) => e.ev === ev && this.events.indexOf(e) >= n, 5000, ev);
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.send({ cmd: "close" });
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  }
}

function link(x: Peer, y: Peer): void {
  x.onEvent = (e) => {
    if (e.ev === "candidate") y.send({ cmd: "candidate", sdp: e.sdp });
    if (e.ev === "gathering-complete") y.send({ cmd: "end-of-candidates" });
    if (e.ev === "restarted") y.send({ cmd: "remote-credentials", ufrag: e.ufrag, pwd: e.pwd });
  };
}

/** Starts both agents, signals, and waits until both selected a pair. */
async function connect(extraA: Record<string, unknown> = {}): Promise<{ a: Peer; b: Peer; setupMs: number }> {
  const a = new Peer(NS.a, "A");
  const b = new Peer(NS.b, "B");
  const ca = await a.request({ cmd: "create", options: { bindAddresses: ["10.99.1.2"], role: "controlling", turnServers: [TURN], taMs: 20, ...extraA } }, "created");
  const cb = await b.request({ cmd: "create", options: { bindAddresses: ["10.99.2.2"], role: "controlled", turnServers: [TURN], taMs: 20 } }, "created");
  link(a, b);
  link(b, a);
  a.send({ cmd: "remote-credentials", ufrag: cb.ufrag, pwd: cb.pwd });
  b.send({ cmd: "remote-credentials", ufrag: ca.ufrag, pwd: ca.pwd });
  const t0 = performance.now();
  a.send({ cmd: "gather" });
  b.send({ cmd: "gather" });
  await a.waitFor((e) => e.ev === "selected", 15_000, "selected pair");
  await b.waitFor((e) => e.ev === "selected", 15_000, "selected pair");
  return { a, b, setupMs: performance.now() - t0 };
}

type PairEv = { local: { type: string; address: string }; remote: { type: string; address: string }; ufrag: string };

describe.runIf(why === undefined)("ICE across a NAT in network namespaces", () => {
  let turnProc: ChildProcess | undefined;
  let dir = "";
  const peers: Peer[] = [];

  beforeAll(async () => {
    up();
    dir = mkdtempSync(join(tmpdir(), "rtcpipe-icx-"));
    turnProc = spawn("ip", [
      "netns", "exec", NS.b, "turnserver", "-n", `--listening-ip=${TURN.address}`, `--relay-ip=${TURN.address}`, `--listening-port=${TURN.port}`,
      "--min-port=49160", "--max-port=49200", "--lt-cred-mech", `--user=${TURN.username}:${TURN.password}`, "--realm=interop.test",
      "--fingerprint", "--no-tls", "--no-dtls", "--no-cli", "--no-rfc5780", "--allowed-peer-ip=10.99.0.0-10.99.255.255",
      `--userdb=${join(dir, "turndb")}`, `--pidfile=${join(dir, "turn.pid")}`, "--log-file=stdout", "--simple-log",
    ], { stdio: "ignore" });
    for (let i = 0; ; i++) {
      const r = spawnSync("ip", ["netns", "exec", NS.b, "turnutils_stunclient", "-p", String(TURN.port), TURN.address], { encoding: "utf8", timeout: 3000 });
      if (r.status === 0) break;
      if (i > 50) throw new Error(`coturn did not answer in ${NS.b}: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  afterAll(async () => {
    for (const p of peers) await p.stop().catch(() => {});
    if (turnProc && turnProc.exitCode === null) {
      const exited = new Promise<void>((r) => turnProc!.once("exit", () => r()));
      turnProc.kill("SIGTERM");
      const t = setTimeout(() => turnProc!.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(t);
    }
    down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("(a) direct UDP allowed: a direct (srflx/prflx) pair is selected through the NAT", async () => {
    blockDirect(false);
    const { a, b, setupMs } = await connect();
    peers.push(a, b);
    const sa = a.events.find((e) => e.ev === "selected") as unknown as PairEv;
    const sb = b.events.find((e) => e.ev === "selected") as unknown as PairEv;
    expect(sa.local.type).toBe("host");
    expect(sa.remote.type).toBe("host");
    expect(sa.remote.address.startsWith("10.99.2.2:")).toBe(true);
    // B sees A as the NAT's address: server- or peer-reflexive.
    expect(["srflx", "prflx"]).toContain(sb.remote.type);
    expect(sb.remote.address.startsWith("10.99.2.1:")).toBe(true);
    a.send({ cmd: "stream", intervalMs: 10 });
    b.send({ cmd: "stream", intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 500));
    const st = await b.request({ cmd: "stats" }, "stats");
    expect(st.received as number).toBeGreaterThan(20);
    console.log(`ICE through the NAT, direct: set-up ${setupMs.toFixed(0)} ms (incl. gathering), A ${sa.local.type}->${sa.remote.type}, B ${sb.local.type}->${sb.remote.type}`);
    await a.stop();
    await b.stop();
  });

  it("(b) direct UDP blocked except to the TURN server: a relayed pair is selected", async () => {
    blockDirect(true);
    try {
      const { a, b, setupMs } = await connect();
      peers.push(a, b);
      const sa = a.events.find((e) => e.ev === "selected") as unknown as PairEv;
      const sb = b.events.find((e) => e.ev === "selected") as unknown as PairEv;
      expect(sa.local.type === "relay" || sa.remote.type === "relay").toBe(true);
      expect(sb.local.type === "relay" || sb.remote.type === "relay").toBe(true);
      a.send({ cmd: "stream", intervalMs: 10 });
      b.send({ cmd: "stream", intervalMs: 10 });
      await new Promise((r) => setTimeout(r, 500));
      const stA = await a.request({ cmd: "stats" }, "stats");
      const stB = await b.request({ cmd: "stats" }, "stats");
      expect(stA.received as number).toBeGreaterThan(20);
      expect(stB.received as number).toBeGreaterThan(20);
      const counters = inNs(NS.r, "nft", "list", "table", "inet", `${P}block`);
      expect(counters).toMatch(/counter packets [1-9]/); // the direct checks were really dropped
      console.log(`ICE through the NAT, direct blocked: set-up ${setupMs.toFixed(0)} ms, A ${sa.local.type}->${sa.remote.type}, B ${sb.local.type}->${sb.remote.type}`);
      await a.stop();
      await b.stop();
    } finally {
      blockDirect(false);
    }
  });

  it("(c) NAT rebinding mid-flow: ICE restart gives a new pair and datagrams flow again within 1 s", async () => {
    blockDirect(false);
    const { a, b } = await connect({ receiveTimeoutMs: 300, restartOnDisconnect: true });
    peers.push(a, b);
    const first = a.events.find((e) => e.ev === "selected") as unknown as PairEv;
    a.send({ cmd: "stream", intervalMs: 10 });
    b.send({ cmd: "stream", intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 800));
    await a.request({ cmd: "mark" }, "marked");
    await b.request({ cmd: "mark" }, "marked");
    rebind();
    await a.waitFor((e) => e.ev === "disconnected", 5000, "disconnected");
    const restarted = await a.waitFor((e) => e.ev === "restarted", 5000, "restart");
    const second = (await a.waitFor((e) => e.ev === "selected" && e.ufrag === restarted.ufrag, 10_000, "new selected pair")) as unknown as PairEv;
    await b.waitFor((e) => e.ev === "selected" && e !== b.events.find((x) => x.ev === "selected"), 10_000, "new selected pair");
    await new Promise((r) => setTimeout(r, 700));
    const stA = await a.request({ cmd: "stats" }, "stats");
    const stB = await b.request({ cmd: "stats" }, "stats");
    const gapAtB = stB.maxGapMs as number; // A -> B
    const gapAtA = stA.maxGapMs as number; // B -> A
    expect(second.ufrag).not.toBe(first.ufrag);
    expect(["srflx", "prflx"]).toContain((b.events.filter((e) => e.ev === "selected").at(-1) as unknown as PairEv).remote.type);
    expect((b.events.filter((e) => e.ev === "selected").at(-1) as unknown as PairEv).remote.address.startsWith("10.99.2.3:")).toBe(true);
    // The flow resumed: datagrams after the gap.
    expect((stB.nowMs as number) - (stB.maxGapEndMs as number)).toBeGreaterThan(300);
    expect(gapAtB).toBeLessThan(1000);
    expect(gapAtA).toBeLessThan(1000);
    console.log(`ICE restart after NAT rebinding: media gap A->B ${gapAtB.toFixed(0)} ms, B->A ${gapAtA.toFixed(0)} ms (receive timeout 300 ms, Ta 20 ms); new pair A ${second.local.type}->${second.remote.type} ${second.remote.address}`);
    await a.stop();
    await b.stop();
  });
});
