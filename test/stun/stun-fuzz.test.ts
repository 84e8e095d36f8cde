/** Seeded fuzzing of the STUN parser: malformed input throws MalformedPacketError only. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MalformedPacketError } from "../../src/errors.js";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { shortTermKey } from "../../src/stun/stun-credentials.js";
import { isStunPacket } from "../../src/stun/is-stun-packet.js";
import type { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";

const KEY = shortTermKey("fuzz-password");

function randomAddress(rng: SeededRandom): { family: 4 | 6; address: string; port: number } {
  if (rng.int(0, 1) === 0) return { family: 4, address: `${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(0, 255)}`, port: rng.int(0, 65535) };
  const w = Array.from({ length: 8 }, () => rng.int(1, 0xffff).toString(16));
  return { family: 6, address: w.join(":"), port: rng.int(0, 65535) };
}

function validMessage(rng: SeededRandom): Uint8Array {
  const m = new StunMessage({ messageClass: rng.int(0, 3) as 0 | 1 | 2 | 3, method: rng.int(0, 0xfff), transactionId: rng.fill(new Uint8Array(12)) });
  const n = rng.int(0, 6);
  for (let i = 0; i < n; i++) {
    switch (rng.int(0, 9)) {
      case 0: m.addXorAddress(T.xorMappedAddress, randomAddress(rng)); break;
      case 1: m.addAddress(T.mappedAddress, randomAddress(rng)); break;
      case 2: m.addText(T.username, "user" + rng.int(0, 1e6)); break;
      case 3: m.addText(T.realm, "réalm"); break;
      case 4: m.addErrorCode({ code: rng.int(300, 699), reason: "why" }); break;
      case 5: m.addUint32(T.priority, rng.nextUint32()); break;
      case 6: m.addTieBreaker(T.iceControlled, BigInt(rng.nextUint32()) << 20n); break;
      case 7: m.add(T.useCandidate, new Uint8Array(0)); break;
      case 8: m.add(0x8000 + rng.int(0x100, 0x7fff), rng.fill(new Uint8Array(rng.int(0, 9)))); break;
      default: m.addUnknownAttributes([rng.int(0, 0xffff)]); break;
    }
  }
  const withMi = rng.int(0, 1) === 1;
  return m.serialize({ ...(withMi ? { integrityKey: KEY } : {}), fingerprint: rng.int(0, 1) === 1 });
}

/** Every typed getter must work on anything parse accepted (parse validates known values). */
function touch(m: StunMessage): void {
  for (const a of m.attributes) {
    switch (a.type) {
      case T.xorMappedAddress: case T.xorPeerAddress: case T.xorRelayedAddress: m.getXorAddress(a.type); break;
      case T.mappedAddress: case T.alternateServer: m.getAddress(a.type); break;
      case T.username: case T.realm: case T.nonce: case T.software: m.getText(a.type); break;
      case T.errorCode: void m.errorCode; break;
      case T.unknownAttributes: void m.unknownAttributes; break;
      case T.passwordAlgorithms: void m.passwordAlgorithms; break;
      case T.priority: case T.lifetime: m.getUint32(a.type); break;
      case T.iceControlled: case T.iceControlling: m.getTieBreaker(a.type); break;
    }
  }
  m.verifyIntegrity(KEY);
}

describe("STUN parser fuzz", () => {
  it("seeded mutations of valid messages: only MalformedPacketError, parsed ones round-trip", () => {
    const r = fuzz<StunMessage>(
      {
        parse: (b) => StunMessage.parse(b),
        serialize: (m) => {
          touch(m);
          return m.serialize({ ...(m.hasMessageIntegrity ? { integrityKey: KEY } : {}), fingerprint: m.hasFingerprint });
        },
        valid: validMessage,
      },
      20_000,
      0x5354,
    );
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(5000);
  });

  it("fast-check: arbitrary bytes behind a valid header never throw anything but MalformedPacketError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 0x3fff }), (body, type) => {
        const b = new Uint8Array(20 + body.length);
        b[0] = type >> 8;
        b[1] = type & 0xff;
        b[2] = body.length >> 8;
        b[3] = body.length & 0xff;
        b.set([0x21, 0x12, 0xa4, 0x42], 4);
        b.set(body, 20);
        try {
          touch(StunMessage.parse(b));
          expect(isStunPacket(b)).toBe(b[0]! <= 3); // RFC 7983: STUN methods in use keep the first byte 0-3
        } catch (e) {
          if (!(e instanceof MalformedPacketError)) throw e;
        }
      }),
      { numRuns: 5000, seed: 42 },
    );
  });
});
