/**
 * What a signaling server relays for one call: the key messages as base64url strings inside JSON
 * (any JSON-over-WebSocket signaling can carry them). A full capture of what it relayed holds no
 * key material: no SRTP master key or salt, no ephemeral or identity private key.
 */
import { describe, expect, it } from "vitest";
import { keyMessageFromText, keyMessageToText } from "../../src/e2ee/key-message.js";
import type { CallKeyExchange } from "../../src/e2ee/call-key-exchange.js";
import { NOW_MS, User } from "./call-fixture.js";

/** A relay that records every JSON frame it forwards, as a signaling server would see them. */
class RecordingRelay {
  readonly capture: string[] = [];
  forward(from: string, to: string, callId: string, payload: Uint8Array): Uint8Array {
    const frame = JSON.stringify({ type: "call-keys", from, to, callId, payload: keyMessageToText(payload) });
    this.capture.push(frame);
    return keyMessageFromText(JSON.parse(frame).payload);
  }
}

describe("key messages over a JSON signaling relay", () => {
  it("set-up and a rekey complete through the relay, and its capture contains no key material", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const relay = new RecordingRelay();
    const a = alice.exchange("caller", "call-42", bob);
    const b = bob.exchange("callee", "call-42", alice);
    const deliver = (to: CallKeyExchange, from: string, msgs: Uint8Array[]): Uint8Array[] =>
      msgs.flatMap((m) => to.receive(relay.forward(from, to.peerName === "alice" ? "bob" : "alice", "call-42", m), NOW_MS).messages);
    // set-up: offer -> answer + confirm -> confirm
    let toAlice = deliver(b, "alice", [a.createOffer(NOW_MS)]);
    let toBob = deliver(a, "bob", toAlice);
    deliver(b, "alice", toBob);
    const keys0 = [a.currentKeys!, b.currentKeys!];
    // rekey started by Bob
    toAlice = deliver(a, "bob", [b.rekey(NOW_MS, [{ ssrc: 1, index: 500 }])]);
    toBob = deliver(b, "alice", toAlice);
    deliver(a, "bob", toBob);
    expect(a.epoch).toBe(1);
    expect(b.epoch).toBe(1);
    const keys1 = [a.currentKeys!, b.currentKeys!];
    expect(relay.capture).toHaveLength(8); // offer, answer, confirm, confirm; twice

    const secrets: Uint8Array[] = [];
    for (const k of [...keys0, ...keys1]) secrets.push(k.sendMasterKey, k.sendMasterSalt, k.receiveMasterKey, k.receiveMasterSalt);
    for (const u of [alice, bob]) {
      // Each exchange fills the ephemeral private key first, then the (public) nonce.
      secrets.push(...u.copies.filter((_, i) => i % 2 === 0));
      const p = u.identity.exportPrivateKeys();
      secrets.push(p.signingPrivate, p.agreementPrivate);
    }
    const capture = relay.capture.join("\n");
    let checked = 0;
    for (const s of secrets) {
      const forms = [Buffer.from(s).toString("base64url"), Buffer.from(s).toString("base64"), Buffer.from(s).toString("hex")];
      // The secret's first 9 bytes (12 base64 / 12 hex characters: 6 bytes) in any encoding.
      for (const f of forms) expect(capture).not.toContain(f.slice(0, 12));
      // And the raw bytes are not inside any decoded payload.
      for (const frame of relay.capture) {
        const bytes = Buffer.from(keyMessageFromText(JSON.parse(frame).payload));
        expect(bytes.indexOf(Buffer.from(s.subarray(0, 12)))).toBe(-1);
      }
      checked++;
    }
    expect(checked).toBe(16 + 4 + 4); // 4 CallSrtpKeys x 4 arrays, 4 ephemeral keys, 2 x 2 identity keys
  });
});
