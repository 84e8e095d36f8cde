/**
 * `rtcpipe call --name A --peer B --signal URL` in two real processes: signaling (our server),
 * end-to-end call keys, ICE (direct, or relayed through a real coturn with --force-relay), media
 * both ways; and a tshark capture that shows only SRTP/SRTCP on the media path.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { saveIdentityFile } from "../../src/e2ee/identity-file.js";
import type { RemoteCallReport } from "../../src/session/remote-call.js";
import { SignalingServer } from "../../src/signaling/signaling-server.js";
import { identityFlags, runCallProcess } from "./rtcpipe-process.js";
import { coturnAvailable, hasTool, startCoturn, type Coturn } from "../turn/coturn-harness.js";

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-call2-"));
let server: SignalingServer;
const relayedPayloads: string[] = [];

const ids = (name: string): string[] => identityFlags(dir, name);
const run = (args: string[]) => runCallProcess(args);

async function callPair(extra: string[], [x, y] = ["alice", "bob"], outDir?: string): Promise<[RemoteCallReport, RemoteCallReport]> {
  const common = ["--signal", server.url, "--duration", "4", "--size", "160x120", "--bitrate", "150k", "--json", ...extra];
  const out = (n: string): string[] => (outDir ? ["--out", join(outDir, n)] : []);
  const [a, b] = await Promise.all([run(["--name", x!, "--peer", y!, ...ids(x!), ...common, ...out(x!)]), run(["--name", y!, "--peer", x!, ...ids(y!), ...common, ...out(y!)])]);
  expect(a.code, `${x}:\n${a.stderr.slice(-2000)}\n${y}:\n${b.stderr.slice(-2000)}`).toBe(0);
  expect(b.code, `${y}:\n${b.stderr.slice(-2000)}`).toBe(0);
  return [JSON.parse(a.stdout) as RemoteCallReport, JSON.parse(b.stdout) as RemoteCallReport];
}

// Loopback adds almost nothing, but two real-time processes share 2 cores with the test
// runner: bounds leave room for scheduling stalls while still failing a broken path.
function expectMediaBothWays(reports: RemoteCallReport[]): void {
  for (const r of reports) {
    expect(r.video!.framesDecoded).toBeGreaterThan(0.6 * 4 * 30);
    expect(r.video!.freezes).toBeLessThanOrEqual(2);
    expect(r.audio!.concealedPct).toBeLessThan(15);
    expect(r.srtp.authFailures).toBe(0);
    // Capture time across processes comes from the remote's SR (RFC 3550 6.4.1).
    expect(r.video!.latencyMs.p50).toBeGreaterThan(0);
    expect(r.video!.latencyMs.p50).toBeLessThan(600);
    expect(r.video!.psnrDbMean).toBeGreaterThan(15); // source rebuilt from the frame-index barcode
  }
}

beforeAll(async () => {
  server = await SignalingServer.start({ port: 0 });
});
afterAll(async () => {
  await server.close();
});

describe("rtcpipe call between two processes", () => {
  it("direct on loopback: keys agreed end to end (same safety number), host pair, media both ways; set-up time reported; report.json and report.html written", async () => {
    const [a, b] = await callPair([], ["alice", "bob"], join(dir, "out"));
    const html = readFileSync(join(dir, "out", "alice", "report.html"), "utf8");
    expect(html).toContain("safety number");
    expect(html).toContain("\"fps\":[");
    expect(JSON.parse(readFileSync(join(dir, "out", "bob", "report.json"), "utf8")).timeline.fps.length).toBeGreaterThanOrEqual(3);
    expectMediaBothWays([a, b]);
    expect(a.ice.selected!.relayed).toBe(false);
    expect(a.e2ee.safetyNumber).toBe(b.e2ee.safetyNumber);
    expect([a.role, b.role].sort()).toEqual(["callee", "caller"]);
    console.log(`direct: offer→connected ${a.setupMs.offerToConnected}/${b.setupMs.offerToConnected} ms, offer→first frame ${a.setupMs.offerToFirstFrame}/${b.setupMs.offerToFirstFrame} ms, video p50 ${a.video!.latencyMs.p50.toFixed(0)} ms`);
  }, 90_000);

  it("a second call pins the same identities, and its keys differ (the safety number is the same, the call id is new)", async () => {
    const [a1] = await callPair([]);
    const [a2] = await callPair([]);
    expect(a2.e2ee.pin).toBe("pinned");
    expect(a2.callId).not.toBe(a1.callId);
    expect(a2.e2ee.safetyNumber).toBe(a1.e2ee.safetyNumber);
  }, 120_000);

  it("a peer whose identity key changed is refused with both fingerprints named", async () => {
    await callPair([]); // pins bob
    saveIdentityFile(join(dir, "bob.id"), IdentityKeyPair.generate(), Date.now(), true);
    const common = ["--signal", server.url, "--duration", "2", "--size", "160x120", "--json", "--connect-timeout", "8"];
    const [a, b] = await Promise.all([run(["--name", "alice", "--peer", "bob", ...ids("alice"), ...common]), run(["--name", "bob", "--peer", "alice", ...ids("bob"), ...common])]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/identity/i);
    expect(b.code).not.toBe(0);
  }, 90_000);
});

describe("rtcpipe call relayed through coturn (--force-relay)", () => {
  const ok = coturnAvailable("call between processes via TURN");
  let turn: Coturn | undefined;
  beforeAll(async () => {
    if (ok) turn = await startCoturn();
  });
  afterAll(async () => {
    await turn?.stop();
  });
  it.runIf(ok)("both sides relay, media flows both ways, and the relayed set-up time is reported", async () => {
    const t = turn!;
    const [a, b] = await callPair(["--turn", `turn:127.0.0.1:${t.port}`, "--turn-user", t.username, "--turn-pass", t.password, "--force-relay"], ["carol", "dave"]);
    expectMediaBothWays([a, b]);
    expect(a.ice.selected!.relayed).toBe(true);
    expect(a.ice.selected!.localType).toBe("relay");
    console.log(`relayed: offer→connected ${a.setupMs.offerToConnected}/${b.setupMs.offerToConnected} ms, offer→first frame ${a.setupMs.offerToFirstFrame}/${b.setupMs.offerToFirstFrame} ms, video p50 ${a.video!.latencyMs.p50.toFixed(0)} ms`);
  }, 90_000);
});

describe("what the wire and the signaling server see of a call (end-to-end keys)", () => {
  const haveTshark = hasTool("tshark") && process.getuid?.() === 0;
  if (!haveTshark && process.env["CI"]) throw new Error("tshark (as root) is needed for the capture test: ./scripts/install-deps.sh");
  it.runIf(haveTshark)("a tshark capture of the call on loopback holds only STUN and SRTP/SRTCP that decrypts under the agreed keys; the server's heap holds no key", async () => {
    const { SrtpSession } = await import("../../src/srtp/srtp-session.js");
    const { isRtcpPacket } = await import("../../src/srtp/is-rtcp-packet.js");
    const v8 = await import("node:v8");
    const cap = join(dir, "call.pcapng");
    const keylog = join(dir, "keys.log");
    const tsharkLog = join(dir, "tshark.log");
    // UDP on loopback only (the signaling WebSocket is TCP).
    const ts = spawn("tshark", ["-i", "lo", "-f", "udp", "-w", cap], { stdio: ["ignore", "ignore", "pipe"] });
    let tsErr = "";
    ts.stderr.on("data", (d: Buffer) => (tsErr += d.toString()));
    for (let i = 0; i < 100 && !tsErr.includes("Capturing on"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(tsErr, tsharkLog).toContain("Capturing on");
    const common = ["--signal", server.url, "--duration", "3", "--size", "160x120", "--json"];
    const runEnv = (args: string[]) => runCallProcess(args, { RTCPIPE_SRTP_KEYLOG: keylog });
    const [a, b] = await Promise.all([runEnv(["--name", "erin", "--peer", "frank", ...ids("erin"), ...common]), runEnv(["--name", "frank", "--peer", "erin", ...ids("frank"), ...common])]);
    expect(a.code, a.stderr.slice(-2000)).toBe(0);
    expect(b.code, b.stderr.slice(-2000)).toBe(0);
    expect(a.stderr).toMatch(/WARNING: writing this call's SRTP keys/);
    // The signaling server runs in this process: snapshot its heap now, before this test reads
    // the key log (after that the keys are in this heap as the test's own strings).
    const snapPath = v8.writeHeapSnapshot(join(dir, "server.heapsnapshot"));
    await new Promise((r) => setTimeout(r, 300));
    ts.kill("SIGINT");
    await new Promise((r) => ts.on("close", r));

    // Every datagram between the call's two ICE ports (other tests may run calls on loopback at
    // the same time): STUN (first byte 0-3, RFC 7983) or SRTP/SRTCP.
    const ra = JSON.parse(a.stdout) as RemoteCallReport;
    const ports = [ra.ice.selected!.local, ra.ice.selected!.remote].map((x) => x.split(":").pop()!).sort().join(",");
    const out = spawnSync("tshark", ["-r", cap, "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload"], { encoding: "utf8", maxBuffer: 1 << 28 });
    const payloads = out.stdout
      .split("\n")
      .map((l) => l.split("\t"))
      .filter((f) => f.length === 3 && [f[0], f[1]].sort().join(",") === ports)
      .map((f) => new Uint8Array(Buffer.from(f[2]!.replace(/:/g, ""), "hex")));
    const keys = readFileSync(keylog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { callId: string; name: string; suite: string; sendKey: string; sendSalt: string });
    expect(keys).toHaveLength(2);
    expect(keys[0]!.callId).toBe(keys[1]!.callId);
    const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
    const sessions = keys.map((k) => new SrtpSession({ suite: k.suite as "AEAD_AES_128_GCM", masterKey: fromHex(k.sendKey), masterSalt: fromHex(k.sendSalt) }));
    let stun = 0;
    let srtp = 0;
    let srtcp = 0;
    let other = 0;
    for (const p of payloads) {
      const first = p[0] ?? 255;
      if (first <= 3) {
        stun++;
        continue;
      }
      if (first < 128 || first > 191) {
        other++;
        continue;
      }
      // It decrypts and authenticates under one direction's send keys: SRTP, not plaintext.
      const rtcp = isRtcpPacket(p);
      const opened = sessions.some((s) => {
        try {
          const plain = rtcp ? s.unprotectRtcp(p) : s.unprotectRtp(p);
          return plain.length > 0;
        } catch {
          return false;
        }
      });
      if (!opened) other++;
      else if (rtcp) srtcp++;
      else srtp++;
    }
    console.log(`capture: ${payloads.length} UDP datagrams: ${stun} STUN, ${srtp} SRTP, ${srtcp} SRTCP, ${other} other`);
    expect(other).toBe(0);
    expect(srtp).toBeGreaterThan(300);
    expect(srtcp).toBeGreaterThan(4);
    expect(stun).toBeGreaterThan(0);

    // The server's heap has the call id it relayed (positive control) but no SRTP key or salt in
    // any text form.
    const snap = readFileSync(snapPath, "utf8");
    expect(snap).toContain(keys[0]!.callId);
    for (const k of keys) {
      for (const secret of [k.sendKey, k.sendSalt]) {
        const bytes = Buffer.from(secret, "hex");
        for (const form of [secret, bytes.toString("base64"), bytes.toString("base64url")]) expect(snap.includes(form)).toBe(false);
      }
    }
  }, 120_000);
});
