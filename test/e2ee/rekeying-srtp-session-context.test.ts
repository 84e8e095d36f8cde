/**
 * RekeyingSrtpSession as a Peer's SRTP context (SrtpContext): outcome counters across the two
 * sessions, the next send index per SSRC (the base of a rekey's switch indexes, across a ROC
 * wrap, RFC 3711 Section 3.3.1), the overhead, and SRTCP once the peer switched.
 */
import { describe, expect, it } from "vitest";
import { AuthenticationError, MalformedPacketError } from "../../src/errors.js";
import type { CallKeyExchange } from "../../src/e2ee/call-key-exchange.js";
import type { CallSrtpKeys } from "../../src/e2ee/call-srtp-keys.js";
import type { SwitchIndex } from "../../src/e2ee/key-message-codec.js";
import { RekeyingSrtpSession } from "../../src/e2ee/rekeying-srtp-session.js";
import type { SrtpContext } from "../../src/srtp/srtp-context.js";
import { SrtpSession } from "../../src/srtp/srtp-session.js";
import { NOW_MS, User, payloadFor, rtpPacket, setUpCall } from "./call-fixture.js";

const SSRC = 0x5eed0002;
const AUDIO = 0x5eed0003;

function rekey(initiator: CallKeyExchange, responder: CallKeyExchange, initiatorSwitch: SwitchIndex[]): { i: CallSrtpKeys; r: CallSrtpKeys } {
  const offer = initiator.rekey(NOW_MS, initiatorSwitch);
  const [answer, confirm] = responder.receive(offer, NOW_MS, []).messages as [Uint8Array, Uint8Array];
  initiator.receive(answer, NOW_MS);
  const done = initiator.receive(confirm, NOW_MS);
  const r = responder.receive(done.messages[0]!, NOW_MS).keys!;
  return { i: done.keys!, r };
}

function newCall() {
  const alice = new User("alice");
  const bob = new User("bob");
  return setUpCall(alice.exchange("caller", "ctx", bob, { suites: ["AES_CM_128_HMAC_SHA1_80"] }), bob.exchange("callee", "ctx", alice));
}

describe("RekeyingSrtpSession as an SrtpContext", () => {
  it("nextSendIndexes gives each sent SSRC's next packet index, 2^16 * ROC + SEQ across a wrap (RFC 3711 Section 3.3.1)", () => {
    const call = newCall();
    const tx: SrtpContext & RekeyingSrtpSession = new RekeyingSrtpSession(call.callerKeys.createSendSession());
    expect(tx.nextSendIndexes()).toEqual([]);
    for (let n = 0; n < 10; n++) tx.protectRtp(rtpPacket(SSRC, (65530 + n) & 0xffff, payloadFor(n)));
    tx.protectRtp(rtpPacket(AUDIO, 7, payloadFor(0)));
    expect(new Map(tx.nextSendIndexes().map((s) => [s.ssrc, s.index]))).toEqual(new Map([[SSRC, 65536 + 4], [AUDIO, 8]]));
    expect(tx.rtpOverheadBytes).toBe(10);
  });

  it("counts outcomes, not attempts: a packet found under the other epoch's keys is a fallback, not an auth failure; forged and malformed ones are counted once", () => {
    const call = newCall();
    const oldTx = call.callerKeys.createSendSession();
    const rx = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession());
    for (let s = 0; s < 20; s++) rx.unprotectRtp(oldTx.protectRtp(rtpPacket(SSRC, s, payloadFor(s))).slice());
    const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: 25 }]);
    rx.scheduleSwitch(keys.r.createReceiveSession(), keys.r.receiveSwitchIndexes);
    // The sender is late by 5 packets: indexes 25..29 come under the old keys.
    for (let s = 20; s < 30; s++) rx.unprotectRtp(oldTx.protectRtp(rtpPacket(SSRC, s, payloadFor(s))).slice());
    const forged = oldTx.protectRtp(rtpPacket(SSRC, 30, payloadFor(30))).slice();
    forged[forged.length - 1]! ^= 1;
    expect(() => rx.unprotectRtp(forged)).toThrow(AuthenticationError);
    expect(() => rx.unprotectRtp(Uint8Array.of(0x80, 0, 0))).toThrow(MalformedPacketError);
    expect(rx.stats()).toMatchObject({ unprotected: 30, fallbacks: 5, authFailures: 1, malformed: 1, replayed: 0 });
  });

  it("protected counts the packets handed out, not the discarded ROC-priming ones", () => {
    const call = newCall();
    const tx = new RekeyingSrtpSession(call.callerKeys.createSendSession());
    for (let n = 0; n < 40; n++) tx.protectRtp(rtpPacket(SSRC, (65520 + n) & 0xffff, payloadFor(n)));
    const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: 65536 + 30 }]);
    tx.scheduleSwitch(keys.i.createSendSession(), keys.i.sendSwitchIndexes);
    for (let n = 40; n < 60; n++) tx.protectRtp(rtpPacket(SSRC, (65520 + n) & 0xffff, payloadFor(n)));
    const st = tx.stats();
    expect(st.rocPrimingPackets).toBeGreaterThan(0);
    expect(st.protected).toBe(60);
    expect(st.current + st.next).toBe(60);
  });

  it("SRTCP: once one packet authenticated under the next keys, the next ones go there first (no fallback each)", () => {
    const call = newCall();
    const tx = new RekeyingSrtpSession(call.callerKeys.createSendSession());
    const rx = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession());
    const rr = Uint8Array.of(0x80, 201, 0, 1, 0x5e, 0xed, 0, 2); // an empty RTCP RR (RFC 3550 6.4.2)
    const keys = rekey(call.caller, call.callee, [{ ssrc: SSRC, index: 2 }]);
    tx.scheduleSwitch(keys.i.createSendSession(), keys.i.sendSwitchIndexes);
    rx.scheduleSwitch(keys.r.createReceiveSession(), keys.r.receiveSwitchIndexes);
    for (let s = 0; s < 4; s++) rx.unprotectRtp(tx.protectRtp(rtpPacket(SSRC, s, payloadFor(s))));
    const fallbacksBefore = rx.stats().fallbacks;
    for (let n = 0; n < 10; n++) expect(rx.unprotectRtcp(tx.protectRtcp(rr))).toEqual(rr);
    expect(rx.stats().fallbacks - fallbacksBefore).toBe(1);
  });

  it("SrtpSession satisfies the same interface (a Peer takes either)", () => {
    const call = newCall();
    const plain: SrtpContext = new SrtpSession({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: call.callerKeys.sendMasterKey, masterSalt: call.callerKeys.sendMasterSalt });
    const rekeying: SrtpContext = new RekeyingSrtpSession(call.calleeKeys.createReceiveSession());
    const pkt = rtpPacket(SSRC, 1, payloadFor(1));
    expect(rekeying.unprotectRtp(plain.protectRtp(pkt))).toEqual(pkt);
    expect(rekeying.stats().unprotected).toBe(1);
  });
});
