/** Test helper: two parties of a call and a loop that carries their key messages. */
import { randomFillSync } from "node:crypto";
import { CallKeyExchange, type CallKeyExchangeOptions, type CallRole } from "../../src/e2ee/call-key-exchange.js";
import type { CallSrtpKeys } from "../../src/e2ee/call-srtp-keys.js";
import { IdentityKeyPair } from "../../src/e2ee/identity-key-pair.js";
import { KnownPeers } from "../../src/e2ee/known-peers.js";
import { OfferReplayGuard } from "../../src/e2ee/offer-replay-guard.js";

export const NOW_MS = 1_764_815_000_000;

/** One user: identity, pins, replay guard, and every buffer its random source filled. */
export class User {
  readonly identity = IdentityKeyPair.generate();
  readonly knownPeers = new KnownPeers();
  readonly replayGuard = new OfferReplayGuard();
  /** The arrays the exchange asked to fill (the live ones: ephemeral keys and nonces). */
  readonly filled: Uint8Array[] = [];
  /** Copies of what was written into them. */
  readonly copies: Uint8Array[] = [];
  constructor(readonly name: string) {}

  exchange(role: CallRole, callId: string, peer: User, extra: Partial<CallKeyExchangeOptions> = {}): CallKeyExchange {
    return new CallKeyExchange({
      identity: this.identity,
      role,
      callId,
      peerName: peer.name,
      knownPeers: this.knownPeers,
      replayGuard: this.replayGuard,
      randomFill: (out) => {
        randomFillSync(out);
        this.filled.push(out);
        this.copies.push(out.slice());
      },
      ...extra,
    });
  }
}

/** What an honest set-up exchanged and produced. */
export interface SetUp {
  caller: CallKeyExchange;
  callee: CallKeyExchange;
  offer: Uint8Array;
  answer: Uint8Array;
  calleeConfirm: Uint8Array;
  callerConfirm: Uint8Array;
  callerKeys: CallSrtpKeys;
  calleeKeys: CallSrtpKeys;
}

/** Runs offer -> answer + confirm -> confirm between two exchanges. */
export function setUpCall(caller: CallKeyExchange, callee: CallKeyExchange, nowMs = NOW_MS): SetUp {
  const offer = caller.createOffer(nowMs);
  const r1 = callee.receive(offer, nowMs + 40);
  const [answer, calleeConfirm] = r1.messages as [Uint8Array, Uint8Array];
  const r2 = caller.receive(answer, nowMs + 80);
  if (r2.messages.length !== 0 || r2.keys !== undefined) throw new Error("caller should wait for the confirm");
  const r3 = caller.receive(calleeConfirm, nowMs + 81);
  const callerConfirm = r3.messages[0] as Uint8Array;
  const r4 = callee.receive(callerConfirm, nowMs + 120);
  if (r3.keys === undefined || r4.keys === undefined) throw new Error("keys missing");
  return { caller, callee, offer, answer, calleeConfirm, callerConfirm, callerKeys: r3.keys, calleeKeys: r4.keys };
}

/** A minimal RTP packet (RFC 3550 5.1): V=2, PT 96, seq, timestamp, SSRC, payload. */
export function rtpPacket(ssrc: number, seq: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = (seq >>> 8) & 0xff;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(4, (seq * 960) >>> 0);
  new DataView(p.buffer).setUint32(8, ssrc >>> 0);
  p.set(payload, 12);
  return p;
}

/** A distinct payload per sequence number. */
export function payloadFor(seq: number, size = 160): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (seq * 31 + i * 7) & 0xff);
}
