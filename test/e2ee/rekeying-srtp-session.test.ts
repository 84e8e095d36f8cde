import { describe, expect, it } from "vitest";
import { AuthenticationError } from "../../src/errors.js";
import type { CallKeyExchange } from "../../src/e2ee/call-key-exchange.js";
import type { CallSrtpKeys } from "../../src/e2ee/call-srtp-keys.js";
import type { SwitchIndex } from "../../src/e2ee/key-message-codec.js";
import { RekeyingSrtpSession } from "../../src/e2ee/rekeying-srtp-session.js";
import type { SrtpSuiteName } from "../../src/srtp/srtp-suite.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { NOW_MS, User, payloadFor, rtpPacket, setUpCall } from "./call-fixture.js";

const SSRC = 0x5eed0001;

/** Runs a rekey started by `initiator`; returns each side's new keys. */
function rekey(initiator: CallKeyExchange, responder: CallKeyExchange, initiatorSwitch: SwitchIndex[], responderSwitch: SwitchIndex[]): { i: CallSrtpKeys; r: CallSrtpKeys } {
  const offer = initiator.rekey(NOW_MS, initiatorSwitch);
  const [answer, confirm] = responder.receive(offer, NOW_MS, responderSwitch).messages as [Uint8Array, Uint8Array];
  initiator.receive(answer, NOW_MS);
  const done = initiator.receive(confirm, NOW_MS);
  const r = responder.receive(done.messages[0]!, NOW_MS).keys!;
  return { i: done.keys!, r };
}

/** Shuffles within blocks of `block` packets (bounded reordering, like a real network). */
function reorder<T>(items: T[], block: number, rng: SeededRandom): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += block) {
    const chunk = items.slice(i, i + block);
    for (let j = chunk.length - 1; j > 0; j--) {
      const k = rng.int(0, j);
      [chunk[j], chunk[k]] = [chunk[k]!, chunk[j]!];
    }
    out.push(...chunk);
  }
  return out;
}

describe("RekeyingSrtpSession", () => {
  for (const suite of ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"] as SrtpSuiteName[]) {
    it(`${suite}: a stream across a rekey (and a ROC wrap) decrypts without a gap, reordered packets around the switch included`, () => {
      const alice = new User("alice");
      const bob = new User("bob");
      const call = setUpCall(alice.exchange("caller", "long", bob, { suites: [suite] }), bob.exchange("callee", "long", alice));
      const tx = new RekeyingSrtpSession(call.callerKeys.createSendSession());
      let newKeys: CallSrtpKeys | undefined;
      const rx = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession(), { retireAfterPackets: 256 });
      const firstSeq = 65000; // wraps to ROC 1 after 536 packets
      const total = 1600;
      const switchIndex = firstSeq + 700; // ROC 1, SEQ 164
      const wire: { seq: number; bytes: Uint8Array }[] = [];
      for (let n = 0; n < total; n++) {
        const seq = (firstSeq + n) & 0xffff;
        if (n === 300) {
          // Mid-call rekey started by Alice, with her stream's switch index 400 packets ahead.
          const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: switchIndex }], []);
          expect(keys.i.sendSwitchIndexes).toEqual([{ ssrc: SSRC, index: switchIndex }]);
          newKeys = keys.r;
          tx.scheduleSwitch(keys.i.createSendSession(), keys.i.sendSwitchIndexes);
          rx.scheduleSwitch(keys.r.createReceiveSession(), keys.r.receiveSwitchIndexes);
        }
        wire.push({ seq: firstSeq + n, bytes: tx.protectRtp(rtpPacket(SSRC, seq, payloadFor(n))).slice() });
      }
      // The sender switched exactly at the announced index: packets below it are under the old
      // keys only, packets from it on under the new keys only (checked with plain SrtpSessions).
      const oldOnly = call.calleeKeys.createReceiveSession({ replayWindow: 4096 });
      const newOnly = newKeys!.createReceiveSession({ replayWindow: 4096 });
      oldOnly.setReceiveRolloverCounter(SSRC, 0, firstSeq - 1);
      newOnly.setReceiveRolloverCounter(SSRC, 1, (switchIndex - 65536) - 1);
      for (const w of wire.slice(690, 710)) {
        const right = w.seq >= switchIndex ? newOnly : oldOnly;
        const wrong = w.seq >= switchIndex ? oldOnly : newOnly;
        expect(() => wrong.unprotectRtp(w.bytes)).toThrow(AuthenticationError);
        expect(right.unprotectRtp(w.bytes).length).toBe(12 + 160);
      }
      expect(tx.stats()).toMatchObject({ scheduled: 1, retired: 1 });
      expect(tx.stats().rocPrimingPackets).toBeGreaterThan(0); // the next session starts at ROC 1
      // Deliver with bounded reordering (blocks of 12) everywhere, so packets just before and just
      // after the switch arrive interleaved.
      const rng = new SeededRandom(42);
      const order = reorder(wire, 12, rng);
      const around = order.slice(680, 720).map((w) => w.seq >= switchIndex);
      expect(around.some((after, i) => after && around.slice(i).includes(false))).toBe(true); // truly interleaved
      for (const w of order) {
        const n = w.seq - firstSeq;
        expect(rx.unprotectRtp(w.bytes)).toEqual(rtpPacket(SSRC, w.seq & 0xffff, payloadFor(n)));
      }
      const st = rx.stats();
      expect(st.current + st.next).toBe(total);
      expect(st.fallbacks).toBe(0); // every packet went straight to the right keys by its index
      expect(st.retired).toBe(1); // the old session was dropped 256 packets after the switch
    });
  }

  it("an old-key packet that arrives after the old session retired fails; one from a late sender falls back", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const call = setUpCall(alice.exchange("caller", "c", bob), bob.exchange("callee", "c", alice));
    const oldTx = call.callerKeys.createSendSession();
    const rx = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession(), { retireAfterPackets: 50 });
    const pkt = (tx: { protectRtp(p: Uint8Array): Uint8Array }, seq: number): Uint8Array => tx.protectRtp(rtpPacket(SSRC, seq, payloadFor(seq))).slice();
    for (let s = 0; s < 100; s++) rx.unprotectRtp(pkt(oldTx, s));
    const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: 110 }], []);
    const newTx = keys.i.createSendSession();
    rx.scheduleSwitch(keys.r.createReceiveSession(), keys.r.receiveSwitchIndexes);
    // The sender was late: packets 100..114 still under the old keys (indexes >= 110 fall back).
    for (let s = 100; s < 115; s++) rx.unprotectRtp(pkt(oldTx, s));
    expect(rx.stats().fallbacks).toBe(5);
    const held = pkt(oldTx, 115); // an old-key packet held back by the network
    for (let s = 116; s < 200; s++) rx.unprotectRtp(pkt(newTx, s));
    expect(rx.stats().retired).toBe(1);
    expect(() => rx.unprotectRtp(held)).toThrow(AuthenticationError);
    expect(rx.next).toBeUndefined();
  });

  it("SRTCP keeps working across the switch in both directions of sessions", () => {
    const alice = new User("alice");
    const bob = new User("bob");
    const call = setUpCall(alice.exchange("caller", "c", bob), bob.exchange("callee", "c", alice));
    const tx = new RekeyingSrtpSession(call.callerKeys.createSendSession());
    const rx = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession());
    const rr = Uint8Array.of(0x80, 201, 0, 1, 0x5e, 0xed, 0, 1); // an empty RTCP RR (RFC 3550 6.4.2)
    expect(rx.unprotectRtcp(tx.protectRtcp(rr))).toEqual(rr);
    const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: 3 }], []);
    tx.scheduleSwitch(keys.i.createSendSession(), keys.i.sendSwitchIndexes);
    rx.scheduleSwitch(keys.r.createReceiveSession(), keys.r.receiveSwitchIndexes);
    const beforeSwitch = tx.protectRtcp(rr).slice(); // old keys: no RTP stream switched yet
    for (let s = 0; s < 5; s++) rx.unprotectRtp(tx.protectRtp(rtpPacket(SSRC, s, payloadFor(s))));
    const afterSwitch = tx.protectRtcp(rr).slice(); // new keys
    expect(rx.unprotectRtcp(afterSwitch)).toEqual(rr);
    expect(rx.unprotectRtcp(beforeSwitch)).toEqual(rr);
    expect(tx.stats().next).toBeGreaterThan(0);
  });
});
