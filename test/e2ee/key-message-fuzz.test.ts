import { describe, expect, it } from "vitest";
import { MalformedPacketError, RtcpipeError } from "../../src/errors.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { KeyAnswer } from "../../src/e2ee/key-answer.js";
import { KeyConfirm } from "../../src/e2ee/key-confirm.js";
import { MAX_KEY_MESSAGE_BYTES } from "../../src/e2ee/key-message-codec.js";
import { keyMessageFromText, keyMessageToText, parseKeyMessage, type KeyMessage } from "../../src/e2ee/key-message.js";
import { KeyOffer } from "../../src/e2ee/key-offer.js";
import { SRTP_SUITE_NAMES } from "../../src/srtp/srtp-suite.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { fuzz } from "../rtp/fuzz-helper.js";
import { NOW_MS, User } from "./call-fixture.js";

const signer = IdentityKeyPair.generate();

function validMessage(rng: SeededRandom): Uint8Array {
  const bytes = (n: number): Uint8Array => rng.fill(new Uint8Array(n));
  const callId = Array.from({ length: rng.int(1, 64) }, () => String.fromCharCode(rng.int(0x21, 0x7e))).join("");
  const switchIndexes = Array.from({ length: rng.int(0, 3) }, (_, i) => ({ ssrc: ((rng.nextUint32() & ~3) >>> 0) + i, index: rng.int(0, 2 ** 40) }));
  const kind = rng.int(0, 2);
  if (kind === 0) {
    const suites = SRTP_SUITE_NAMES.slice(0, rng.int(1, 4));
    return KeyOffer.create(
      { epoch: rng.int(0, 5), callId, timestampMs: NOW_MS + rng.int(0, 1e6), nonce: bytes(16), identity: signer.publicKey, ephemeralKey: bytes(32), suites, switchIndexes },
      signer,
    ).serialize();
  }
  if (kind === 1) {
    return KeyAnswer.create(
      {
        epoch: rng.int(0, 5),
        callId,
        offerHash: bytes(32),
        timestampMs: NOW_MS,
        nonce: bytes(16),
        identity: signer.publicKey,
        ephemeralKey: bytes(32),
        suite: SRTP_SUITE_NAMES[rng.int(0, 3)]!,
        switchIndexes,
      },
      signer,
    ).serialize();
  }
  return new KeyConfirm(rng.int(0, 5), rng.int(0, 1) ? "initiator" : "responder", bytes(32)).serialize();
}

describe("key message parser", () => {
  it("fuzz: random and mutated offers/answers/confirms throw only MalformedPacketError, and what parses round-trips", () => {
    const r = fuzz<KeyMessage>({ parse: parseKeyMessage, serialize: (m) => m.serialize(), valid: validMessage }, 4000, 0xe2ee);
    expect(r.inputs).toBe(4000);
    expect(r.parsed).toBeGreaterThan(1000);
    expect(r.rejected).toBeGreaterThan(1000);
  });

  it("every truncation of a valid message, and any byte appended, is refused", () => {
    const rng = new SeededRandom(7);
    for (let k = 0; k < 6; k++) {
      const m = validMessage(rng);
      for (let n = 0; n < m.length; n++) expect(() => parseKeyMessage(m.subarray(0, n)), `length ${n}`).toThrow(MalformedPacketError);
      expect(() => parseKeyMessage(Uint8Array.of(...m, 0))).toThrow(/bytes after the last field|truncated/);
    }
  });

  it("oversized input is refused before parsing, with the limit named", () => {
    const big = new Uint8Array(MAX_KEY_MESSAGE_BYTES + 1);
    big[0] = 1;
    big[1] = 1;
    expect(() => parseKeyMessage(big)).toThrow(new RegExp(`oversized, allowed is at most ${MAX_KEY_MESSAGE_BYTES}`));
    expect(() => keyMessageFromText("A".repeat(2000))).toThrow(/oversized/);
  });

  it("field checks: version, type, call id, suites, switch list", () => {
    const rng = new SeededRandom(3);
    const offer = KeyOffer.create(
      { epoch: 0, callId: "abc", timestampMs: NOW_MS, nonce: rng.fill(new Uint8Array(16)), identity: signer.publicKey, ephemeralKey: rng.fill(new Uint8Array(32)), suites: ["AEAD_AES_128_GCM"], switchIndexes: [] },
      signer,
    ).serialize();
    const at = (i: number, v: number): Uint8Array => {
      const c = offer.slice();
      c[i] = v;
      return c;
    };
    expect(() => parseKeyMessage(at(0, 2))).toThrow(/version is 2, allowed is 1/);
    expect(() => parseKeyMessage(at(1, 9))).toThrow(/type 9 is unknown/);
    expect(() => parseKeyMessage(at(6, 0))).toThrow(/call id length is 0/);
    expect(() => parseKeyMessage(at(7, 0x20))).toThrow(/printable ASCII/);
    const suiteAt = 6 + 1 + 3 + 8 + 16 + 96 + 1;
    expect(() => parseKeyMessage(at(suiteAt + 1, 0x05))).toThrow(/0x0005 is not a suite/);
    expect(() => parseKeyMessage(at(suiteAt - 1, 0))).toThrow(/suite count is 0/);
    expect(() => parseKeyMessage(at(suiteAt + 2, 17))).toThrow(/switch index count is 17/);
  });

  it("base64url text: round-trips, and refuses non-strings and non-base64url", () => {
    const m = validMessage(new SeededRandom(1));
    expect(keyMessageFromText(keyMessageToText(m))).toEqual(m);
    for (const bad of [42, null, "abc=", "a+b/", "x", "é"]) expect(() => keyMessageFromText(bad)).toThrow(MalformedPacketError);
  });

  it("fuzz: a callee fed mutated offers refuses each with a typed error and never derives keys from them", () => {
    const rng = new SeededRandom(11);
    const alice = new User("alice");
    const bob = new User("bob");
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const offer = alice.exchange("caller", `c${i}`, bob).createOffer(NOW_MS);
      const m = offer.slice();
      const flips = rng.int(1, 3);
      for (let f = 0; f < flips; f++) {
        const at = rng.int(0, m.length - 1);
        m[at] = (m[at] as number) ^ (1 << rng.int(0, 7));
      }
      const cut = rng.int(0, 3) === 0 ? m.subarray(0, rng.int(0, m.length)) : m;
      const callee = bob.exchange("callee", `c${i}`, alice);
      try {
        callee.receive(cut, NOW_MS);
      } catch (err) {
        expect(err).toBeInstanceOf(RtcpipeError);
        refused++;
      }
      expect(callee.stats().keysDerived).toBe(0);
    }
    expect(refused).toBe(300);
  });
});
