import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ReplayError } from "../../src/errors.js";
import { IdentityChangedError, InsecureKeyFileError } from "../../src/e2ee/e2ee-errors.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { KnownPeers, loadKnownPeers, saveKnownPeers } from "../../src/e2ee/known-peers.js";
import { OfferReplayGuard } from "../../src/e2ee/offer-replay-guard.js";
import { identityFingerprint } from "../../src/e2ee/safety-number.js";

describe("KnownPeers (pinning)", () => {
  const alice = IdentityKeyPair.generate().publicKey;
  const mallory = IdentityKeyPair.generate().publicKey;

  it("pins on first sight, passes the same key, refuses a changed key naming both fingerprints", () => {
    const store = new KnownPeers();
    expect(store.verify("alice", alice, 1000)).toBe("pinned-now");
    expect(store.changed).toBe(true);
    expect(store.verify("alice", alice, 2000)).toBe("matches-pin");
    let err: unknown;
    try {
      store.verify("alice", mallory, 3000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdentityChangedError);
    const e = err as IdentityChangedError;
    expect(e.pinnedFingerprint).toBe(identityFingerprint(alice));
    expect(e.presentedFingerprint).toBe(identityFingerprint(mallory));
    expect(e.message).toContain(identityFingerprint(alice));
    expect(e.message).toContain(identityFingerprint(mallory));
    expect(e.message).toMatch(/"alice"/);
    expect(store.get("alice")?.identity.equals(alice)).toBe(true);
    expect(store.get("alice")?.firstSeenMs).toBe(1000);
  });

  it("replaces the pin only when the new identity is explicitly accepted", () => {
    const store = new KnownPeers();
    store.verify("alice", alice, 1000);
    expect(store.verify("alice", mallory, 5000, true)).toBe("accepted-new");
    expect(store.get("alice")?.identity.equals(mallory)).toBe(true);
    expect(store.get("alice")?.firstSeenMs).toBe(5000);
    expect(() => store.verify("alice", alice, 6000)).toThrow(IdentityChangedError);
  });

  it("saves as a 0600 file, loads it back, and refuses a world-readable one", () => {
    const path = join(mkdtempSync(join(tmpdir(), "rtcpipe-peers-")), "known-peers.json");
    expect(loadKnownPeers(path).list()).toEqual([]);
    const store = new KnownPeers();
    store.verify("alice", alice, 1000);
    store.verify("bob", mallory, 2000);
    saveKnownPeers(path, store);
    expect(store.changed).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const back = loadKnownPeers(path);
    expect(back.list().map((p) => p.name).sort()).toEqual(["alice", "bob"]);
    expect(back.verify("alice", alice, 3000)).toBe("matches-pin");
    expect(() => back.verify("bob", alice, 3000)).toThrow(IdentityChangedError);
    chmodSync(path, 0o644);
    expect(() => loadKnownPeers(path)).toThrow(InsecureKeyFileError);
  });
});

describe("OfferReplayGuard", () => {
  const nonce = (n: number): Uint8Array => new Uint8Array(16).fill(n);

  it("refuses a nonce seen before and a timestamp outside ±window", () => {
    const g = new OfferReplayGuard({ windowMs: 120_000 });
    const now = 1_764_815_000_000;
    g.check(nonce(1), now, now);
    expect(() => g.check(nonce(1), now + 1, now + 2)).toThrow(/nonce was seen/);
    expect(() => g.check(nonce(2), now - 120_001, now)).toThrow(/allowed is within ±120 s/);
    expect(() => g.check(nonce(3), now + 120_001, now)).toThrow(ReplayError);
    g.check(nonce(4), now - 120_000, now);
    g.check(nonce(5), now + 120_000, now);
    expect(g.stats()).toMatchObject({ accepted: 3, refusedNonce: 1, refusedTimestamp: 2 });
  });

  it("the window is configurable and validated", () => {
    const g = new OfferReplayGuard({ windowMs: 5000 });
    expect(() => g.check(nonce(1), 0, 5001)).toThrow(ReplayError);
    expect(() => new OfferReplayGuard({ windowMs: 10 })).toThrow(/windowMs=10/);
  });

  it("stays bounded: expired nonces are forgotten, and when full it refuses rather than forgets live ones", () => {
    const g = new OfferReplayGuard({ windowMs: 1000, maxEntries: 16 });
    for (let i = 0; i < 16; i++) g.check(nonce(i), 0, 0);
    expect(() => g.check(nonce(100), 0, 0)).toThrow(/16 offers arrived/);
    // 1001 ms later every remembered nonce is outside the window: they are pruned, and a replay
    // of one of them fails on its timestamp instead.
    g.check(nonce(101), 1001, 1001);
    expect(g.stats().live).toBe(1);
    expect(() => g.check(nonce(0), 0, 1001)).toThrow(/timestamp/);
  });
});
