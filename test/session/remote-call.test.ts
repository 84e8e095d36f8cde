import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { saveIdentityFile } from "../../src/e2ee/identity-file.js";
import { SignalingServer } from "../../src/signaling/signaling-server.js";
import { runRemoteCall, type RemoteCallOptions, type RemoteCallReport } from "../../src/session/remote-call.js";

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-remote-"));
let server: SignalingServer;
let url: string;
const relayed: string[] = [];

function identity(name: string): { identityPath: string; knownPeersPath: string } {
  const identityPath = join(dir, `${name}.id`);
  if (!existsSync(identityPath)) saveIdentityFile(identityPath, IdentityKeyPair.generate(), Date.now());
  return { identityPath, knownPeersPath: join(dir, `${name}.peers.json`) };
}

const media = { durationS: 3, width: 160, height: 120, videoBitrateBps: 150_000, seed: 3 } as const;

beforeAll(async () => {
  server = await SignalingServer.start({ port: 0 });
  url = server.url;
});
afterAll(async () => {
  await server.close();
});

async function call(a: Partial<RemoteCallOptions>, b: Partial<RemoteCallOptions>): Promise<[RemoteCallReport, RemoteCallReport]> {
  const base = (name: string, peer: string): RemoteCallOptions => ({ name, peer, signalUrl: url, ...identity(name), media, connectTimeoutMs: 15_000 });
  return Promise.all([runRemoteCall({ ...base("alice", "bob"), ...a }), runRemoteCall({ ...base("bob", "alice"), ...b })]);
}

describe("a call between two processes' worth of endpoints: signaling, ICE, end-to-end keys, media", () => {
  it("connects host to host on loopback, agrees keys end to end, and carries video and audio both ways", async () => {
    const [a, b] = await call({}, {});
    for (const r of [a, b]) {
      expect(r.ice.selected?.localType).toBe("host");
      expect(r.ice.selected?.relayed).toBe(false);
      // Both endpoints share this process's event loop in the test: at least half the frames.
      expect(r.video!.framesDecoded).toBeGreaterThan(0.5 * 3 * 30);
      expect(r.audio!.concealedPct).toBeLessThan(10);
      expect(r.srtp.authFailures).toBe(0);
      expect(r.setupMs.offerToConnected).toBeGreaterThan(0);
      // Capture time comes from the remote's SR (RTP clock → wall time, RFC 3550 6.4.1).
      expect(r.video!.latencyMs.p50).toBeGreaterThan(0);
      expect(r.video!.latencyMs.p50).toBeLessThan(1000);
      expect(r.video!.psnrDbMean).toBeGreaterThan(15); // source rebuilt from the frame-index barcode
    }
    expect(a.role).toBe("caller");
    expect(a.e2ee.safetyNumber).toBe(b.e2ee.safetyNumber);
    expect(a.callId).toBe(b.callId);
    // The first call pinned each other's identity key.
    expect(JSON.parse(readFileSync(join(dir, "alice.peers.json"), "utf8"))).toBeTruthy();
  }, 60_000);
});
