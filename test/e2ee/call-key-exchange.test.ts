import { Console } from "node:console";
import { Writable } from "node:stream";
import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { MalformedPacketError, ReplayError } from "../../src/errors.js";
import { IdentityChangedError, KeyConfirmationError, KeyExchangeStateError, SignatureError } from "../../src/e2ee/e2ee-errors.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { KeyAnswer } from "../../src/e2ee/key-answer.js";
import { KeyConfirm } from "../../src/e2ee/key-confirm.js";
import { KeyOffer } from "../../src/e2ee/key-offer.js";
import { isAllZero } from "../../src/e2ee/secret-bytes.js";
import { x25519PublicKey } from "../../src/e2ee/x25519.js";
import { toHex } from "../srtp/hex.js";
import { NOW_MS, User, payloadFor, rtpPacket, setUpCall } from "./call-fixture.js";

const hexOf = (b: Uint8Array): string => toHex(b);

describe("CallKeyExchange: set-up", () => {
  it("both sides derive the same SRTP keys per direction and confirm them; media flows both ways", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "call-1", bob), bob.exchange("callee", "call-1", alice));
    expect(s.caller.state).toBe("established");
    expect(s.callee.state).toBe("established");
    expect(s.callerKeys.suite).toBe("AEAD_AES_256_GCM"); // the first suite both allow, in offer order
    expect(hexOf(s.callerKeys.sendMasterKey)).toBe(hexOf(s.calleeKeys.receiveMasterKey));
    expect(hexOf(s.callerKeys.sendMasterSalt)).toBe(hexOf(s.calleeKeys.receiveMasterSalt));
    expect(hexOf(s.calleeKeys.sendMasterKey)).toBe(hexOf(s.callerKeys.receiveMasterKey));
    expect(hexOf(s.calleeKeys.sendMasterSalt)).toBe(hexOf(s.callerKeys.receiveMasterSalt));
    expect(hexOf(s.callerKeys.sendMasterKey)).not.toBe(hexOf(s.callerKeys.receiveMasterKey));
    expect(s.callerKeys.sendMasterKey.length).toBe(32);
    expect(s.callerKeys.sendMasterSalt.length).toBe(12);
    // Real SRTP both ways with the derived keys.
    const aTx = s.callerKeys.createSendSession();
    const bRx = s.calleeKeys.createReceiveSession();
    const bTx = s.calleeKeys.createSendSession();
    const aRx = s.callerKeys.createReceiveSession();
    const p = rtpPacket(0x1234, 7, payloadFor(7));
    expect(bRx.unprotectRtp(aTx.protectRtp(p))).toEqual(p);
    expect(aRx.unprotectRtp(bTx.protectRtp(p))).toEqual(p);
    // Both pinned each other at this first call.
    expect(alice.knownPeers.get("bob")?.identity.equals(bob.identity.publicKey)).toBe(true);
    expect(bob.knownPeers.get("alice")?.identity.equals(alice.identity.publicKey)).toBe(true);
    expect(s.caller.stats()).toMatchObject({ keysDerived: 1, epochsConfirmed: 1, sent: 2, received: 2 });
    expect(s.callee.stats()).toMatchObject({ keysDerived: 1, epochsConfirmed: 1, sent: 2, received: 2 });
  });

  it("negotiates the first offered suite the callee allows, with that suite's key and salt lengths", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(
      alice.exchange("caller", "c", bob, { suites: ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] }),
      bob.exchange("callee", "c", alice, { suites: ["AEAD_AES_128_GCM"] }),
    );
    expect(s.callerKeys.suite).toBe("AEAD_AES_128_GCM");
    expect([s.callerKeys.sendMasterKey.length, s.callerKeys.sendMasterSalt.length]).toEqual([16, 12]);
    const alice2 = new User("alice");
    const bob2 = new User("bob");
    const s2 = setUpCall(alice2.exchange("caller", "c", bob2, { suites: ["AES_CM_128_HMAC_SHA1_80"] }), bob2.exchange("callee", "c", alice2));
    expect([s2.calleeKeys.suite, s2.calleeKeys.sendMasterKey.length, s2.calleeKeys.sendMasterSalt.length]).toEqual(["AES_CM_128_HMAC_SHA1_80", 16, 14]);
    // No common suite: refused.
    const c = alice.exchange("caller", "d", bob, { suites: ["AES_CM_128_HMAC_SHA1_32"] });
    const b = bob.exchange("callee", "d", alice, { suites: ["AEAD_AES_128_GCM"] });
    expect(() => b.receive(c.createOffer(NOW_MS), NOW_MS)).toThrow(/none of the offered suites/);
    expect(b.state).toBe("failed");
  });

  it("two calls between the same identities derive different SRTP keys", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const one = setUpCall(alice.exchange("caller", "call-1", bob), bob.exchange("callee", "call-1", alice));
    const two = setUpCall(alice.exchange("caller", "call-2", bob), bob.exchange("callee", "call-2", alice), NOW_MS + 1000);
    const same = setUpCall(alice.exchange("caller", "call-1", bob), bob.exchange("callee", "call-1", alice), NOW_MS + 2000);
    const keys = [one, two, same].map((s) => hexOf(s.callerKeys.sendMasterKey) + hexOf(s.callerKeys.receiveMasterKey));
    expect(new Set(keys).size).toBe(3);
  });
});

describe("CallKeyExchange: a man-in-the-middle signaling server", () => {
  /** Alice and Bob have talked before, so each has pinned the other. */
  function pinnedPair(): { alice: User; bob: User } {
    const alice = new User("alice");
    const bob = new User("bob");
    setUpCall(alice.exchange("caller", "first", bob), bob.exchange("callee", "first", alice));
    return { alice, bob };
  }

  it("re-signing the offer with its own identity and ephemeral key: the callee refuses with the pinning error and derives nothing", () => {
    const { alice, bob } = pinnedPair();
    const mallory = IdentityKeyPair.generate();
    const caller = alice.exchange("caller", "call-2", bob);
    const callee = bob.exchange("callee", "call-2", alice);
    const real = KeyOffer.parse(caller.createOffer(NOW_MS));
    const forged = KeyOffer.create({ ...real, identity: mallory.publicKey, ephemeralKey: x25519PublicKey(new Uint8Array(32).fill(7)) }, mallory);
    expect(forged.verifySignature()).toBe(true);
    let err: unknown;
    try {
      callee.receive(forged.serialize(), NOW_MS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdentityChangedError);
    expect((err as Error).message).toMatch(/"alice".*changed from \d{5}( \d{5}){5} \(pinned\) to \d{5}( \d{5}){5}/);
    expect(callee.state).toBe("failed");
    expect(callee.currentKeys).toBeUndefined();
    expect(callee.stats()).toMatchObject({ keysDerived: 0, identityChanged: 1 });
    // The exchange stays refused: even the genuine offer is not accepted on it afterwards.
    expect(() => callee.receive(real.serialize(), NOW_MS)).toThrow(/failed and the call was refused/);
  });

  it("re-signing the answer with its own identity: the caller refuses with the pinning error and derives nothing", () => {
    const { alice, bob } = pinnedPair();
    const mallory = IdentityKeyPair.generate();
    const caller = alice.exchange("caller", "call-2", bob);
    const callee = bob.exchange("callee", "call-2", alice);
    const offer = caller.createOffer(NOW_MS);
    const [answer] = callee.receive(offer, NOW_MS).messages as [Uint8Array];
    const real = KeyAnswer.parse(answer);
    const forged = KeyAnswer.create({ ...real, identity: mallory.publicKey, ephemeralKey: x25519PublicKey(new Uint8Array(32).fill(9)) }, mallory);
    expect(() => caller.receive(forged.serialize(), NOW_MS)).toThrow(IdentityChangedError);
    expect(caller.stats().keysDerived).toBe(0);
    expect(caller.currentKeys).toBeUndefined();
    expect(caller.state).toBe("failed");
  });

  it("swapping the ephemeral key without a valid signature: SignatureError, nothing derived", () => {
    const { alice, bob } = pinnedPair();
    const mallory = IdentityKeyPair.generate();
    const attackerEk = x25519PublicKey(new Uint8Array(32).fill(5));
    // (a) the offer's ephemeral key replaced in place, the old signature kept.
    {
      const caller = alice.exchange("caller", "c-a", bob);
      const callee = bob.exchange("callee", "c-a", alice);
      const offer = caller.createOffer(NOW_MS);
      const real = KeyOffer.parse(offer);
      const swapped = offer.slice();
      const at = indexOf(swapped, real.ephemeralKey);
      swapped.set(attackerEk, at);
      expect(() => callee.receive(swapped, NOW_MS)).toThrow(SignatureError);
      expect(callee.stats()).toMatchObject({ keysDerived: 0, badSignatures: 1 });
      expect(callee.state).toBe("failed");
    }
    // (b) the offer re-signed by Mallory but still naming Alice's identity.
    {
      const caller = alice.exchange("caller", "c-b", bob);
      const callee = bob.exchange("callee", "c-b", alice);
      const real = KeyOffer.parse(caller.createOffer(NOW_MS));
      const byMallory = KeyOffer.create({ ...real, identity: mallory.publicKey, ephemeralKey: attackerEk }, mallory).serialize();
      const sig = byMallory.subarray(byMallory.length - 64);
      const lying = KeyOffer.create({ ...real, ephemeralKey: attackerEk }, alice.identity).serialize();
      lying.set(sig, lying.length - 64);
      expect(() => callee.receive(lying, NOW_MS)).toThrow(SignatureError);
      expect(callee.stats().keysDerived).toBe(0);
    }
    // (c) the answer's ephemeral key replaced: the caller refuses.
    {
      const caller = alice.exchange("caller", "c-c", bob);
      const callee = bob.exchange("callee", "c-c", alice);
      const [answer] = callee.receive(caller.createOffer(NOW_MS), NOW_MS).messages as [Uint8Array];
      const swapped = answer.slice();
      swapped.set(attackerEk, indexOf(swapped, KeyAnswer.parse(answer).ephemeralKey));
      expect(() => caller.receive(swapped, NOW_MS)).toThrow(SignatureError);
      expect(caller.stats().keysDerived).toBe(0);
      expect(caller.currentKeys).toBeUndefined();
    }
  });
});

describe("CallKeyExchange: replay, confirmation, state", () => {
  it("a replayed offer is refused (same nonce), as is one with an old or future timestamp", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const caller = alice.exchange("caller", "call-1", bob);
    const offer = caller.createOffer(NOW_MS);
    bob.exchange("callee", "call-1", alice).receive(offer, NOW_MS + 10);
    const again = bob.exchange("callee", "call-1", alice);
    expect(() => again.receive(offer, NOW_MS + 20)).toThrow(/nonce was seen/);
    expect(again.stats().replayed).toBe(1);
    const late = alice.exchange("caller", "call-2", bob).createOffer(NOW_MS);
    expect(() => bob.exchange("callee", "call-2", alice).receive(late, NOW_MS + 121_000)).toThrow(ReplayError);
    const early = alice.exchange("caller", "call-3", bob).createOffer(NOW_MS + 121_000);
    expect(() => bob.exchange("callee", "call-3", alice).receive(early, NOW_MS)).toThrow(/timestamp/);
  });

  it("a wrong key confirmation is refused on either side and no keys are handed out", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    // Bob's confirm altered: Alice refuses.
    {
      const caller = alice.exchange("caller", "x", bob);
      const callee = bob.exchange("callee", "x", alice);
      const [answer, confirm] = callee.receive(caller.createOffer(NOW_MS), NOW_MS).messages as [Uint8Array, Uint8Array];
      caller.receive(answer, NOW_MS);
      const bad = confirm.slice();
      bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0x80;
      expect(() => caller.receive(bad, NOW_MS)).toThrow(KeyConfirmationError);
      expect(caller.currentKeys).toBeUndefined();
      expect(caller.state).toBe("failed");
      expect(caller.stats().badConfirmations).toBe(1);
    }
    // Alice's confirm altered: Bob refuses.
    {
      const s1 = alice.exchange("caller", "y", bob);
      const s2 = bob.exchange("callee", "y", alice);
      const [answer, confirm] = s2.receive(s1.createOffer(NOW_MS), NOW_MS).messages as [Uint8Array, Uint8Array];
      s1.receive(answer, NOW_MS);
      const callerConfirm = s1.receive(confirm, NOW_MS).messages[0] as Uint8Array;
      const bad = KeyConfirm.parse(callerConfirm);
      const forged = new KeyConfirm(bad.epoch, bad.role, new Uint8Array(32).fill(1)).serialize();
      expect(() => s2.receive(forged, NOW_MS)).toThrow(/did not derive the same keys/);
      expect(s2.currentKeys).toBeUndefined();
      expect(s2.state).toBe("failed");
    }
    // A confirm from another call (same users) does not confirm this one.
    {
      const a1 = alice.exchange("caller", "p", bob);
      const b1 = bob.exchange("callee", "p", alice);
      const a2 = alice.exchange("caller", "q", bob);
      const b2 = bob.exchange("callee", "q", alice);
      const [ans1] = b1.receive(a1.createOffer(NOW_MS), NOW_MS).messages as [Uint8Array];
      const [, conf2] = b2.receive(a2.createOffer(NOW_MS), NOW_MS).messages as [Uint8Array, Uint8Array];
      a1.receive(ans1, NOW_MS);
      expect(() => a1.receive(conf2, NOW_MS)).toThrow(KeyConfirmationError);
    }
  });

  it("messages for another call or out of order are refused with KeyExchangeStateError and counted", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const caller = alice.exchange("caller", "call-1", bob);
    const offer = caller.createOffer(NOW_MS);
    expect(() => bob.exchange("callee", "call-9", alice).receive(offer, NOW_MS)).toThrow(/for call "call-1"/);
    const callee = bob.exchange("callee", "call-1", alice);
    const [answer, confirm] = callee.receive(offer, NOW_MS).messages as [Uint8Array, Uint8Array];
    expect(() => caller.receive(confirm, NOW_MS)).toThrow(KeyExchangeStateError); // before the answer
    expect(() => callee.receive(answer, NOW_MS)).toThrow(KeyExchangeStateError); // the callee sent it
    expect(() => caller.receive(offer, NOW_MS)).toThrow(KeyExchangeStateError); // the caller does not take offers
    expect(caller.stats().outOfState).toBe(2);
    expect(() => caller.createOffer(NOW_MS)).toThrow(/allowed only when idle/);
    expect(() => callee.createOffer(NOW_MS)).toThrow(/only the caller offers/);
    // The call still completes afterwards.
    caller.receive(answer, NOW_MS);
    expect(caller.receive(confirm, NOW_MS).keys).toBeDefined();
  });

  it("malformed bytes are refused with MalformedPacketError and counted, without changing state", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const caller = alice.exchange("caller", "call-1", bob);
    const callee = bob.exchange("callee", "call-1", alice);
    const offer = caller.createOffer(NOW_MS);
    for (const bad of [new Uint8Array(0), offer.subarray(0, offer.length - 1), Uint8Array.of(...offer, 0), new Uint8Array(5000), Uint8Array.of(2, 1, 0, 0)]) {
      expect(() => callee.receive(bad, NOW_MS)).toThrow(MalformedPacketError);
    }
    expect(callee.stats().malformed).toBe(5);
    expect(callee.state).toBe("idle");
    expect(callee.receive(offer, NOW_MS).messages).toHaveLength(2);
  });
  it("an authentic offer or answer with a low-order ephemeral key (RFC 7748 Section 6.1) is refused without deriving", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const caller = alice.exchange("caller", "lo", bob);
    const real = KeyOffer.parse(caller.createOffer(NOW_MS));
    const lowOrder = KeyOffer.create({ ...real, nonce: new Uint8Array(16).fill(3), ephemeralKey: new Uint8Array(32) }, alice.identity).serialize();
    const callee = bob.exchange("callee", "lo", alice);
    expect(() => callee.receive(lowOrder, NOW_MS)).toThrow(/low-order point/);
    expect(callee.stats().keysDerived).toBe(0);
    expect(callee.exchangeInProgress).toBe(false);
    // The genuine offer still goes through on the same exchange.
    const [answer] = callee.receive(real.serialize(), NOW_MS).messages as [Uint8Array];
    const badAnswer = KeyAnswer.create({ ...KeyAnswer.parse(answer), ephemeralKey: new Uint8Array(32) }, bob.identity).serialize();
    expect(() => caller.receive(badAnswer, NOW_MS)).toThrow(/low-order point/);
    expect(caller.stats().keysDerived).toBe(0);
    expect(caller.state).toBe("failed");
  });

  it("validates its options and time arguments", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    expect(() => alice.exchange("caller", "has space", bob)).toThrow(/call id "has space"/);
    expect(() => alice.exchange("caller", "c", bob, { suites: [] })).toThrow(/1 to 4 different suites/);
    expect(() => alice.exchange("caller", "c", bob, { role: "host" as never })).toThrow(/role="host"/);
    const x = alice.exchange("caller", "c", bob);
    expect(() => x.createOffer(Number.NaN)).toThrow(/nowMs=NaN/);
    const s = setUpCall(alice.exchange("caller", "d", bob), bob.exchange("callee", "d", alice));
    expect(() => s.caller.rekey(NOW_MS, [{ ssrc: -1, index: 0 }])).toThrow(/switch SSRC -1/);
    expect(() => s.caller.rekey(NOW_MS, [{ ssrc: 1, index: 2 ** 48 }])).toThrow(/48-bit/);
  });
});

describe("CallKeyExchange: zeroing and redaction", () => {
  it("ephemeral private keys are zero once the keys are derived, and every SRTP key handed out is zero after destroy()", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "z", bob), bob.exchange("callee", "z", alice));
    // filled[0] / filled[1] are the ephemeral key and the nonce of each side (see startEpoch/onOffer).
    const ephemerals = [alice.filled[0]!, bob.filled[0]!];
    expect(x25519PublicKey(alice.copies[0]!)).toEqual(KeyOffer.parse(s.offer).ephemeralKey);
    expect(x25519PublicKey(bob.copies[0]!)).toEqual(KeyAnswer.parse(s.answer).ephemeralKey);
    for (const ek of ephemerals) expect(isAllZero(ek)).toBe(true);
    const arrays = [s.callerKeys, s.calleeKeys].flatMap((k) => [k.sendMasterKey, k.sendMasterSalt, k.receiveMasterKey, k.receiveMasterSalt]);
    for (const a of arrays) expect(isAllZero(a)).toBe(false);
    s.caller.destroy();
    s.callee.destroy();
    for (const a of arrays) expect(isAllZero(a)).toBe(true);
    expect(s.callerKeys.destroyed && s.calleeKeys.destroyed).toBe(true);
    expect(() => s.callerKeys.sendMasterKey).toThrow(/destroyed at hang-up/);
    expect(() => s.caller.rekey(NOW_MS, [])).toThrow(/destroyed/);
  });

  it("hanging up during an exchange zeroes the pending ephemeral key", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const caller = alice.exchange("caller", "h", bob);
    caller.createOffer(NOW_MS);
    expect(isAllZero(alice.filled[0]!)).toBe(false);
    caller.destroy();
    expect(isAllZero(alice.filled[0]!)).toBe(true);
  });

  it("no key material in JSON, util.inspect, format or console.log output", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "r", bob), bob.exchange("callee", "r", alice));
    const secrets = [s.callerKeys.sendMasterKey, s.callerKeys.sendMasterSalt, s.callerKeys.receiveMasterKey, s.callerKeys.receiveMasterSalt].flatMap((k) => {
      const b = Buffer.from(k);
      return [b.toString("hex"), b.toString("base64"), b.toString("base64url"), Array.from(k).join(",")].map((t) => t.slice(0, 12));
    });
    // A real Console (what console.log is) writing into a string.
    let logged = "";
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    const log = new Console({ stdout: sink, stderr: sink });
    log.log(s.caller, s.callerKeys);
    log.log("%o", { exchange: s.caller, keys: s.callerKeys });
    log.error(s.callerKeys);
    const texts = [
      logged,
      JSON.stringify(s.caller),
      JSON.stringify({ keys: s.callerKeys, all: [s.calleeKeys] }),
      inspect(s.callerKeys, { showHidden: true, depth: null }),
      inspect({ s }, { showHidden: true, depth: null }),
      format("%s %j %O", s.callerKeys, s.callerKeys, s.caller),
      String(s.callerKeys),
    ];
    expect(logged).toMatch(/CallSrtpKeys\(AEAD_AES_256_GCM, epoch 0, keys redacted\)/);
    for (const t of texts) for (const secret of secrets) expect(t).not.toContain(secret);
  });
});

describe("CallKeyExchange: rekeying", () => {
  it("rekey() runs a new ephemeral exchange: new keys for both directions, the switch indexes of each side, chained to the previous epoch", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "long", bob), bob.exchange("callee", "long", alice));
    // Bob (the callee) starts this rekey: he is the initiator of epoch 1.
    const offer = s.callee.rekey(NOW_MS + 60_000, [{ ssrc: 0xb0b, index: 5000 }]);
    const r1 = s.caller.receive(offer, NOW_MS + 60_010, [{ ssrc: 0xa11ce, index: 70_000 }]);
    const [answer, confirmR] = r1.messages as [Uint8Array, Uint8Array];
    s.callee.receive(answer, NOW_MS + 60_020);
    const r3 = s.callee.receive(confirmR, NOW_MS + 60_021);
    const bobKeys = r3.keys!;
    const aliceKeys = s.caller.receive(r3.messages[0]!, NOW_MS + 60_030).keys!;
    expect([aliceKeys.epoch, bobKeys.epoch, s.caller.epoch]).toEqual([1, 1, 1]);
    expect(hexOf(aliceKeys.sendMasterKey)).toBe(hexOf(bobKeys.receiveMasterKey));
    expect(hexOf(bobKeys.sendMasterKey)).toBe(hexOf(aliceKeys.receiveMasterKey));
    expect(hexOf(aliceKeys.sendMasterKey)).not.toBe(hexOf(s.callerKeys.sendMasterKey));
    expect(hexOf(aliceKeys.receiveMasterKey)).not.toBe(hexOf(s.callerKeys.receiveMasterKey));
    expect(bobKeys.sendSwitchIndexes).toEqual([{ ssrc: 0xb0b, index: 5000 }]);
    expect(aliceKeys.receiveSwitchIndexes).toEqual([{ ssrc: 0xb0b, index: 5000 }]);
    expect(aliceKeys.sendSwitchIndexes).toEqual([{ ssrc: 0xa11ce, index: 70_000 }]);
    expect(bobKeys.receiveSwitchIndexes).toEqual([{ ssrc: 0xa11ce, index: 70_000 }]);
    // The epoch-0 keys are kept (reordered packets) until the next rekey, then zeroed.
    expect(s.callerKeys.destroyed).toBe(false);
    const o2 = s.caller.rekey(NOW_MS + 120_000, []);
    const [a2, c2] = s.callee.receive(o2, NOW_MS + 120_000).messages as [Uint8Array, Uint8Array];
    s.caller.receive(a2, NOW_MS + 120_000);
    const fin = s.caller.receive(c2, NOW_MS + 120_000);
    s.callee.receive(fin.messages[0]!, NOW_MS + 120_000);
    expect(fin.keys!.epoch).toBe(2);
    expect(s.callerKeys.destroyed).toBe(true);
    expect(aliceKeys.destroyed).toBe(false);
  });

  it("a replayed or stale rekey offer, or one signed by another identity, is refused and the call keeps its keys", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "long", bob), bob.exchange("callee", "long", alice));
    const offer = s.caller.rekey(NOW_MS + 1000, []);
    const [answer, confirm] = s.callee.receive(offer, NOW_MS + 1000).messages as [Uint8Array, Uint8Array];
    s.caller.receive(answer, NOW_MS + 1000);
    s.callee.receive(s.caller.receive(confirm, NOW_MS + 1000).messages[0]!, NOW_MS + 1000);
    expect(() => s.callee.receive(offer, NOW_MS + 2000)).toThrow(KeyExchangeStateError); // epoch 1 again
    const mallory = IdentityKeyPair.generate();
    const fake = KeyOffer.create({ ...KeyOffer.parse(offer), epoch: 2, identity: mallory.publicKey }, mallory).serialize();
    expect(() => s.callee.receive(fake, NOW_MS + 2000)).toThrow(/another identity|other than the one/);
    expect(s.callee.state).toBe("established");
    expect(s.callee.epoch).toBe(1);
  });

  it("a rekey whose confirmation fails is dropped; the current keys stay", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "long", bob), bob.exchange("callee", "long", alice));
    const offer = s.caller.rekey(NOW_MS, []);
    const [answer, confirm] = s.callee.receive(offer, NOW_MS).messages as [Uint8Array, Uint8Array];
    s.caller.receive(answer, NOW_MS);
    const bad = confirm.slice();
    bad[10] = (bad[10] as number) ^ 1;
    expect(() => s.caller.receive(bad, NOW_MS)).toThrow(/rekey is dropped/);
    expect(s.caller.state).toBe("established");
    expect(s.caller.currentKeys).toBe(s.callerKeys);
    expect(s.caller.exchangeInProgress).toBe(false);
    // A new rekey works afterwards.
    expect(() => s.caller.rekey(NOW_MS, [])).not.toThrow();
  });

  it("when both sides start the same rekey, the caller's offer wins", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const s = setUpCall(alice.exchange("caller", "long", bob), bob.exchange("callee", "long", alice));
    const fromAlice = s.caller.rekey(NOW_MS, []);
    const fromBob = s.callee.rekey(NOW_MS, []);
    expect(s.caller.receive(fromBob, NOW_MS).messages).toEqual([]);
    const [answer, confirm] = s.callee.receive(fromAlice, NOW_MS).messages as [Uint8Array, Uint8Array];
    s.caller.receive(answer, NOW_MS);
    const done = s.caller.receive(confirm, NOW_MS);
    const bobDone = s.callee.receive(done.messages[0]!, NOW_MS);
    expect(hexOf(done.keys!.sendMasterKey)).toBe(hexOf(bobDone.keys!.receiveMasterKey));
    expect(s.caller.stats().rekeyCollisions + s.callee.stats().rekeyCollisions).toBe(2);
  });
});

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error("not found");
}

