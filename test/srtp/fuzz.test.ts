/**
 * Fuzz unprotectRtp / unprotectRtcp: seeded mutations of valid packets plus fast-check arbitrary
 * bytes, ~20k inputs in all. Only the typed errors may come out; nothing else, never a crash.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AuthenticationError, MalformedPacketError, ReplayError } from "../../src/errors.js";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import { SRTP_SUITES, SRTP_SUITE_NAMES } from "../../src/srtp/srtp-suite.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

function expectTyped(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (err) {
    if (err instanceof MalformedPacketError) return "malformed";
    if (err instanceof AuthenticationError) return "auth";
    if (err instanceof ReplayError) return "replay";
    throw err;
  }
}

function mutate(rnd: SeededRandom, p: Uint8Array): Uint8Array {
  let q = p.slice();
  const ops = rnd.int(1, 4);
  for (let k = 0; k < ops; k++) {
    switch (rnd.int(0, 5)) {
      case 0: // flip bits
        if (q.length > 0) { const i = rnd.int(0, q.length - 1); q[i] = (q[i] as number) ^ (1 << rnd.int(0, 7)); }
        break;
      case 1: // truncate
        q = q.subarray(0, rnd.int(0, q.length));
        break;
      case 2: { // extend with random bytes
        const r = new Uint8Array(q.length + rnd.int(1, 40));
        r.set(q);
        rnd.fill(r.subarray(q.length));
        q = r;
        break;
      }
      case 3: // header byte 0 (version, P, X, CC) random
        if (q.length > 0) q[0] = rnd.int(0, 255);
        break;
      case 4: // extension length field random
        if (q.length > 15) { q[14] = rnd.int(0, 255); q[15] = rnd.int(0, 255); q[0] = (q[0] as number) | 0x10; }
        break;
      default: // random byte anywhere
        if (q.length > 0) q[rnd.int(0, q.length - 1)] = rnd.int(0, 255);
    }
  }
  return q;
}

describe("fuzz: unprotect only ever throws typed errors", () => {
  it.each(SRTP_SUITE_NAMES.map((s) => [s]))("RFC 3711 3.3 / RFC 7714: %s, 4000 mutated SRTP and SRTCP packets", (suite) => {
    const rnd = new SeededRandom(0xf022 + suite.length);
    const p = SRTP_SUITES[suite];
    const opts = { suite, masterKey: rnd.fill(new Uint8Array(p.keyLength)), masterSalt: rnd.fill(new Uint8Array(p.saltLength)) };
    const tx = new SrtpSession(opts);
    const rx = new SrtpSession(opts);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const pkt = new Uint8Array(20 + rnd.int(0, 300));
      rnd.fill(pkt);
      pkt[0] = 0x80 | (i % 3); // version 2, 0..2 CSRCs
      const sealed = tx.protectRtp(pkt);
      const r1 = expectTyped(() => rx.unprotectRtp(mutate(rnd, sealed)));
      counts[r1] = (counts[r1] ?? 0) + 1;

      const c = new Uint8Array(8 + 4 * rnd.int(0, 20));
      rnd.fill(c);
      c[0] = 0x80;
      c[1] = 200;
      const sealedRtcp = tx.protectRtcp(c);
      const r2 = expectTyped(() => rx.unprotectRtcp(mutate(rnd, sealedRtcp)));
      counts[r2] = (counts[r2] ?? 0) + 1;
    }
    const s = rx.stats();
    expect(s.unprotected + s.authFailures + s.replayed + s.malformed).toBe(4000);
    expect(counts["auth"]).toBeGreaterThan(1000);
    expect(counts["malformed"]).toBeGreaterThan(100);
  });

  it("RFC 3711 3.3: fast-check arbitrary bytes into every suite (4000 runs)", () => {
    const sessions = SRTP_SUITE_NAMES.map((suite) => {
      const p = SRTP_SUITES[suite];
      return new SrtpSession({ suite, masterKey: new Uint8Array(p.keyLength).fill(7), masterSalt: new Uint8Array(p.saltLength).fill(9) });
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), (bytes, asRtcp) => {
        for (const s of sessions) {
          expectTyped(() => (asRtcp ? s.unprotectRtcp(bytes) : s.unprotectRtp(bytes)));
        }
      }),
      { numRuns: 4000, seed: 42 },
    );
  });
});
