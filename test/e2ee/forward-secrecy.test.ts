/**
 * Forward secrecy: a recording of a call's SRTP and of its key messages cannot be decrypted after
 * the call, even with both identity private keys, because the keys also depend on
 * DH3 = X25519(EK_caller, EK_callee), whose private halves were zeroed.
 */
import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../../src/errors.js";
import { deriveEpochKeys, transcriptHash } from "../../src/e2ee/epoch-key-schedule.js";
import { KeyAnswer } from "../../src/e2ee/key-answer.js";
import { KeyOffer } from "../../src/e2ee/key-offer.js";
import { isAllZero } from "../../src/e2ee/secret-bytes.js";
import { x25519 } from "../../src/e2ee/x25519.js";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import { User, payloadFor, rtpPacket, setUpCall } from "./call-fixture.js";

describe("forward secrecy", () => {
  it("recorded SRTP of a finished call does not decrypt with both identity private keys and the recorded offer/answer", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const call = setUpCall(alice.exchange("caller", "recorded", bob), bob.exchange("callee", "recorded", alice));
    // What a passive eavesdropper (or the signaling server) records: the key messages and SRTP.
    const recordedOffer = call.offer.slice();
    const recordedAnswer = call.answer.slice();
    const tx = call.callerKeys.createSendSession();
    const plain = Array.from({ length: 20 }, (_, i) => rtpPacket(0xcafe, 100 + i, payloadFor(i)));
    const recordedSrtp = plain.map((p) => tx.protectRtp(p).slice());
    // The ephemeral secrets as they were (kept by this test's random source, a positive control).
    const ekAliceCopy = alice.copies[0]!;
    const ekAliceLive = alice.filled[0]!;
    const ekBobLive = bob.filled[0]!;

    // Hang up on both sides.
    call.caller.destroy();
    call.callee.destroy();
    expect(isAllZero(ekAliceLive) && isAllZero(ekBobLive)).toBe(true);

    // Later, the attacker obtains both identity keys (still alive here: alice.identity, bob.identity).
    const offer = KeyOffer.parse(recordedOffer);
    const answer = KeyAnswer.parse(recordedAnswer);
    const th = transcriptHash(recordedOffer, recordedAnswer);
    const dh1 = alice.identity.agree(answer.ephemeralKey); // X25519(IK_A, EK_B)
    const dh2 = bob.identity.agree(offer.ephemeralKey); // X25519(IK_B, EK_A) = X25519(EK_A, IK_B)
    const tryDecrypt = (dh3: Uint8Array): number => {
      const keys = deriveEpochKeys({ suite: answer.suite, dh1, dh2, dh3, transcriptHash: th, chainKey: new Uint8Array(32) });
      const { masterKey, masterSalt } = keys.srtp("initiatorToResponder");
      const rx = new SrtpSession({ suite: answer.suite, masterKey, masterSalt });
      let ok = 0;
      for (const [i, p] of recordedSrtp.entries()) {
        try {
          expect(rx.unprotectRtp(p)).toEqual(plain[i]);
          ok++;
        } catch (err) {
          expect(err).toBeInstanceOf(AuthenticationError);
        }
      }
      keys.destroy();
      return ok;
    };

    // Control: the derivation above is the real one: with the ephemeral secret it decrypts all.
    expect(tryDecrypt(x25519(ekAliceCopy, answer.ephemeralKey))).toBe(plain.length);

    // Without it, every DH3 the attacker can compute from what is left fails on every packet:
    // each identity private key against each public key in the transcript, and the zeroed arrays.
    const privates = [
      (pub: Uint8Array) => alice.identity.agree(pub),
      (pub: Uint8Array) => bob.identity.agree(pub),
    ];
    const publics = [offer.ephemeralKey, answer.ephemeralKey, offer.identity.agreementKey, answer.identity.agreementKey];
    const attempts: Uint8Array[] = [new Uint8Array(32), dh1, dh2];
    for (const agree of privates) for (const pub of publics) attempts.push(agree(pub));
    try {
      attempts.push(x25519(ekAliceLive, answer.ephemeralKey)); // the zeroed ephemeral array
    } catch {
      // a zero scalar may be refused outright; that is a failure to derive too
    }
    for (const dh3 of attempts) expect(tryDecrypt(dh3)).toBe(0);
    // The recorded key messages carry only public keys: not the ephemeral private key.
    for (const m of [recordedOffer, recordedAnswer]) {
      expect(Buffer.from(m).toString("hex")).not.toContain(Buffer.from(ekAliceCopy).toString("hex"));
      expect(Buffer.from(m).toString("hex")).not.toContain(Buffer.from(bob.copies[0]!).toString("hex"));
    }
  });
});
