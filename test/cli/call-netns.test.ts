/**
 * A real call between two rtcpipe processes across a NAT, in network namespaces (root only):
 * alice behind the NAT (icc-a), bob outside (icc-b), the signaling server on the router's own
 * addresses (icc-r: 10.99.1.1 inside, 10.99.2.1 outside), so the path change below does not cut
 * signaling. Mid-call the NAT rebinds (new external address, mappings forgotten): media stops
 * both ways, the caller sees "disconnected", restarts ICE over signaling, and the call goes on;
 * the longest media gap at each receiver is the number the issue asks for (target under 1 s).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { saveIdentityFile } from "../../src/e2ee/identity-file.js";
import type { RemoteCallReport } from "../../src/session/remote-call.js";
import { natTopology } from "../ice/netns-topology.js";

const REPO = join(import.meta.dirname, "../..");
const topo = natTopology("icc");
const why = topo.available();
if (why !== undefined) {
  const msg = `call across a NAT: ${why}; needs root, iproute2 with netns, nftables, conntrack`;
  if (process.env["CI"]) throw new Error(`${msg} (CI is set, so this fails instead of skipping)`);
  console.warn(`SKIPPED ${msg}`);
}

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-netns-call-"));
const PORT = 8099;
let signal: ChildProcess | undefined;

interface Proc {
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdout: () => string;
  stderr: () => string;
}

function inNamespace(ns: string, args: string[]): { proc: ChildProcess } & Proc {
  const proc = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", join(REPO, "bin/rtcpipe-dev.ts"), ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
    proc.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { proc, done, stdout: () => stdout, stderr: () => stderr };
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(why === undefined)("rtcpipe call across a NAT (network namespaces)", () => {
  beforeAll(async () => {
    topo.up();
    const s = inNamespace(topo.NS.r, ["signal", "--host", "0.0.0.0", "--port", String(PORT)]);
    signal = s.proc;
    await until(() => /ws:\/\//.test(s.stdout() + s.stderr()), 15_000, "signaling server address");
  }, 30_000);
  afterAll(() => {
    signal?.kill("SIGTERM");
    topo.down();
  });

  it("a NAT rebinding mid-call: ICE restart, the call goes on, media gap under 1 s", async () => {
    const ids = (name: string): string[] => {
      const p = join(dir, `${name}.id`);
      saveIdentityFile(p, IdentityKeyPair.generate(), Date.now(), true);
      return ["--identity", p, "--known-peers", join(dir, `${name}.peers.json`)];
    };
    const common = ["--duration", "8", "--size", "160x120", "--bitrate", "150k", "--json"];
    const a = inNamespace(topo.NS.a, ["call", "--name", "alice", "--peer", "bob", "--signal", `ws://10.99.1.1:${PORT}`, "--bind", "10.99.1.2", ...ids("alice"), ...common]);
    const b = inNamespace(topo.NS.b, ["call", "--name", "bob", "--peer", "alice", "--signal", `ws://10.99.2.1:${PORT}`, "--bind", "10.99.2.2", ...ids("bob"), ...common]);
    await until(() => a.stderr().includes("media started") && b.stderr().includes("media started"), 30_000, "media").catch((e: Error) => {
      throw new Error(`${e.message}\nalice: ${a.stderr().slice(-1500)}\nbob: ${b.stderr().slice(-1500)}`);
    });
    await new Promise((r) => setTimeout(r, 2500));
    topo.rebind();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr.slice(-3000)).toBe(0);
    expect(rb.code, rb.stderr.slice(-3000)).toBe(0);
    const [A, B] = [JSON.parse(ra.stdout) as RemoteCallReport, JSON.parse(rb.stdout) as RemoteCallReport];
    console.log(`NAT rebinding mid-call: media gap at alice ${A.ice.longestMediaGapMs} ms, at bob ${B.ice.longestMediaGapMs} ms; restarts ${A.ice.restarts}/${B.ice.restarts}; bob now sees alice at ${B.ice.selected?.remote}; frames ${A.video!.framesDecoded}/${B.video!.framesDecoded}`);
    if (B.ice.longestMediaGapMs >= 1000 || A.ice.longestMediaGapMs >= 1000) console.log(JSON.stringify({ alice: A.ice.timeline, bob: B.ice.timeline }));
    expect(A.ice.restarts + B.ice.restarts).toBeGreaterThanOrEqual(1);
    expect(B.ice.selected!.remote).toMatch(/^10\.99\.2\.3:/); // alice's new external address
    for (const r of [A, B]) {
      expect(r.ice.longestMediaGapMs).toBeLessThan(1000);
      expect(r.srtp.authFailures).toBe(0);
      // Frames keep decoding after the change: each of the last 3 s (well after the rebinding)
      // shows frames. The total depends on how fast this machine encodes two real-time calls
      // while the rest of the suite runs (144-224 of ~240 seen), so it is only checked loosely.
      const perSecond = r.video!.framesPerSecond;
      expect(perSecond.length).toBeGreaterThanOrEqual(6);
      for (const fps of perSecond.slice(-3)) expect(fps).toBeGreaterThan(5);
      expect(r.video!.framesDecoded).toBeGreaterThan(0.4 * 8 * 30);
    }
  }, 90_000);
});
