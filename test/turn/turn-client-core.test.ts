/**
 * TurnClient core driven directly with time injected and crafted server messages: the paths
 * a real coturn cannot be made to take on demand (forged responses, endless 438, 508,
 * silence, garbage). The real-server behaviour is in turn-client-coturn.test.ts.
 */
import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { longTermKey } from "../../src/stun/stun-credentials.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { StunClass, StunMethod } from "../../src/stun/stun-message-type.js";
import { transportAddress } from "../../src/stun/transport-address.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { ChannelData } from "../../src/turn/channel-data.js";
import { TurnClient, type TurnEvent } from "../../src/turn/turn-client.js";

const SERVER = { address: "127.0.0.1", port: 3478 };
const USER = "alice";
const PASS = "s3cret";
const REALM = "example.test";
const KEY = longTermKey(USER, REALM, PASS);
const RELAYED = transportAddress("127.0.0.1", 50001);
const PEER = transportAddress("127.0.0.1", 6000);

function next(c: TurnClient): StunMessage {
  const b = c.pollTransmit();
  if (!b) throw new Error("nothing transmitted");
  return StunMessage.parse(b);
}

function answer(req: StunMessage, cls: 2 | 3, build: (m: StunMessage) => void, key?: Uint8Array): Uint8Array {
  const m = new StunMessage({ messageClass: cls, method: req.method, transactionId: req.transactionId });
  build(m);
  return m.serialize({ ...(key ? { integrityKey: key } : {}), fingerprint: true });
}

const unauthorized = (req: StunMessage, nonce = "n1"): Uint8Array =>
  answer(req, StunClass.errorResponse, (m) => m.addErrorCode({ code: 401, reason: "Unauthorized" }).addText(T.realm, REALM).addText(T.nonce, nonce));

function events(c: TurnClient): TurnEvent[] {
  const out: TurnEvent[] = [];
  for (let e = c.pollEvent(); e; e = c.pollEvent()) out.push(e);
  return out;
}

/** Allocate through the 401 round; returns the client in state "allocated". */
function allocated(options: Partial<ConstructorParameters<typeof TurnClient>[0]> = {}): TurnClient {
  const c = new TurnClient({ server: SERVER, username: USER, password: PASS, seed: 5, ...options });
  c.allocate(0);
  const r1 = next(c);
  expect(r1.hasMessageIntegrity).toBe(false);
  expect(r1.get(T.requestedTransport)).toEqual(Uint8Array.of(17, 0, 0, 0));
  c.receive(unauthorized(r1), 1000);
  const r2 = next(c);
  expect(r2.getText(T.username)).toBe(USER);
  expect(r2.getText(T.nonce)).toBe("n1");
  expect(r2.verifyIntegrity(KEY)).toBe(true);
  c.receive(answer(r2, StunClass.successResponse, (m) => m.addXorAddress(T.xorRelayedAddress, RELAYED).addXorAddress(T.xorMappedAddress, transportAddress("127.0.0.1", 40000)).addUint32(T.lifetime, 600), KEY), 2000);
  expect(c.state).toBe("allocated");
  return c;
}

describe("TurnClient core (RFC 8656)", () => {
  it("RFC 8489 9.2.5: a success response with a wrong MESSAGE-INTEGRITY is dropped and counted; the genuine one is taken", () => {
    const c = new TurnClient({ server: SERVER, username: USER, password: PASS, seed: 1 });
    c.allocate(0);
    c.receive(unauthorized(next(c)), 0);
    const r2 = next(c);
    const body = (m: StunMessage): void => void m.addXorAddress(T.xorRelayedAddress, RELAYED).addUint32(T.lifetime, 600);
    c.receive(answer(r2, StunClass.successResponse, body, longTermKey(USER, REALM, "guess")), 0);
    c.receive(answer(r2, StunClass.successResponse, body), 0); // no integrity at all
    expect(c.state).toBe("allocating");
    expect(c.stats().integrityFailures).toBe(2);
    c.receive(answer(r2, StunClass.successResponse, body, KEY), 0);
    expect(c.state).toBe("allocated");
    expect(c.relayedAddress).toEqual(RELAYED);
    expect(events(c)).toEqual([{ type: "allocated", relayed: RELAYED, mapped: undefined, lifetimeS: 600 }]);
  });

  it("RFC 8489 9.2.5: endless 438 Stale Nonce stops after maxAuthRetries with a typed error", () => {
    const c = new TurnClient({ server: SERVER, username: USER, password: PASS, maxAuthRetries: 2 });
    c.allocate(0);
    c.receive(unauthorized(next(c)), 0);
    let requests = 2;
    for (let i = 0; i < 10 && c.state === "allocating"; i++) {
      const r = next(c);
      c.receive(answer(r, StunClass.errorResponse, (m) => m.addErrorCode({ code: 438, reason: "Stale Nonce" }).addText(T.nonce, `n${i + 2}`)), 0);
      if (c.state === "allocating") requests++;
    }
    expect(c.state).toBe("failed");
    expect(requests).toBe(3); // first, the 401 retry, one 438 retry: 2 rounds in all
    const [e] = events(c);
    expect(e?.type === "error" && e.error.kind).toBe("rejected");
    expect(e?.type === "error" && e.error.message).toMatch(/stale nonce after 2 retries \(438 Stale Nonce\)/);
  });

  it.each([
    [486, "quota", /allocation quota reached/],
    [508, "capacity", /out of capacity/],
    [441, "unauthorized", /wrong credentials/],
    [400, "rejected", /400 Bad/],
  ])("error %s after authentication becomes TurnError kind %s", (code, kind, re) => {
    const c = new TurnClient({ server: SERVER, username: USER, password: PASS });
    c.allocate(0);
    c.receive(unauthorized(next(c)), 0);
    c.receive(answer(next(c), StunClass.errorResponse, (m) => m.addErrorCode({ code, reason: code === 400 ? "Bad Request" : "x" }), KEY), 0);
    const [e] = events(c);
    expect(e?.type).toBe("error");
    if (e?.type !== "error") return;
    expect(e.error.kind).toBe(kind);
    expect(e.error.stunErrorCode).toBe(code);
    expect(e.error.message).toMatch(re);
    expect(c.nextTimeoutUs()).toBeUndefined();
  });

  it("RFC 8489 6.2.1: a silent server gives a 'timeout' TurnError at 39.5 s of virtual time, after 7 transmissions", () => {
    const c = new TurnClient({ server: SERVER, username: USER, password: PASS });
    c.allocate(0);
    let sent = 0;
    while (c.pollTransmit()) sent++;
    let t = 0;
    for (let guard = 0; guard < 20 && c.state === "allocating"; guard++) {
      t = c.nextTimeoutUs()!;
      c.tick(t);
      while (c.pollTransmit()) sent++;
    }
    expect(sent).toBe(7);
    expect(t).toBe(39_500_000);
    const [e] = events(c);
    expect(e?.type === "error" && e.error.kind).toBe("timeout");
  });

  it("data waits for its permission (bounded by maxQueuedPerPeer) and goes out as Send indications once installed", () => {
    const c = allocated({ maxQueuedPerPeer: 2 });
    events(c);
    for (let i = 0; i < 5; i++) c.send(PEER, Uint8Array.of(i), 3000);
    const perm = next(c);
    expect(perm.method).toBe(StunMethod.createPermission);
    expect(perm.getXorAddress(T.xorPeerAddress)).toEqual(PEER);
    expect(c.pollTransmit()).toBeUndefined(); // one CreatePermission, no data yet
    expect(c.stats().sendDropped).toBe(3);
    c.receive(answer(perm, StunClass.successResponse, () => {}, KEY), 4000);
    const sends = [next(c), next(c)];
    expect(sends.map((s) => [s.method, s.messageClass])).toEqual([[StunMethod.send, StunClass.indication], [StunMethod.send, StunClass.indication]]);
    expect(sends.map((s) => Array.from(s.get(T.data)!))).toEqual([[0], [1]]);
    expect(events(c)).toEqual([{ type: "permission", peer: PEER }]);
  });

  it("after ChannelBind, sends are 4-byte-header ChannelData and incoming ChannelData on that channel becomes data events", () => {
    const c = allocated();
    const ch = c.bindChannel(PEER, 3000);
    const bind = next(c);
    expect(bind.method).toBe(StunMethod.channelBind);
    expect(Array.from(bind.get(T.channelNumber)!)).toEqual([0x40, 0x00, 0, 0]);
    c.receive(answer(bind, StunClass.successResponse, () => {}, KEY), 4000);
    c.send(PEER, Uint8Array.of(7, 8, 9), 5000);
    const out = c.pollTransmit()!;
    expect(Array.from(out)).toEqual([0x40, 0x00, 0x00, 0x03, 7, 8, 9]);
    events(c);
    c.receive(new ChannelData(ch, Uint8Array.of(1, 2)).serialize(), 6000);
    c.receive(new ChannelData(0x4fff, Uint8Array.of(1, 2)).serialize(), 6000); // unbound channel
    expect(events(c)).toEqual([{ type: "data", peer: PEER, data: Uint8Array.of(1, 2), viaChannel: true }]);
    expect(c.stats().unmatchedDropped).toBe(1);
  });

  it("close sends Refresh with LIFETIME 0 (RFC 8656 7.2) and ends in 'closed'", () => {
    const c = allocated();
    events(c);
    c.close(10_000);
    const r = next(c);
    expect(r.method).toBe(StunMethod.refresh);
    expect(r.getUint32(T.lifetime)).toBe(0);
    c.receive(answer(r, StunClass.successResponse, (m) => m.addUint32(T.lifetime, 0), KEY), 11_000);
    expect(c.state).toBe("closed");
    expect(events(c)).toEqual([{ type: "closed" }]);
    c.send(PEER, Uint8Array.of(1), 12_000);
    expect(c.stats().sendDropped).toBe(1);
  });

  it("fuzz: 20000 random and mutated datagrams never throw, are counted, and leave the allocation working", () => {
    const c = allocated();
    const ch = c.bindChannel(PEER, 3000);
    c.receive(answer(next(c), StunClass.successResponse, () => {}, KEY), 3000);
    events(c);
    const rng = new SeededRandom(77);
    const dataInd = (): Uint8Array =>
      new StunMessage({ messageClass: StunClass.indication, method: StunMethod.data, transactionId: rng.fill(new Uint8Array(12)) })
        .addXorAddress(T.xorPeerAddress, PEER)
        .add(T.data, rng.fill(new Uint8Array(rng.int(0, 50))))
        .serialize();
    const templates = [dataInd, () => new ChannelData(ch, rng.fill(new Uint8Array(rng.int(0, 50)))).serialize(), () => rng.fill(new Uint8Array(rng.int(0, 80)))];
    let dataEvents = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = templates[i % 3]!().slice();
      if (i % 2 === 1 && b.length > 0) for (let k = 0; k < rng.int(1, 4); k++) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      c.receive(b, 4000 + i);
      for (const e of events(c)) if (e.type === "data") dataEvents++;
    }
    const s = c.stats();
    expect(dataEvents).toBe(s.dataIndicationsReceived + s.channelDataReceived);
    expect(dataEvents).toBeGreaterThan(5000);
    expect(s.malformedDropped + s.unmatchedDropped).toBeGreaterThan(3000);
    expect(c.state).toBe("allocated");
    c.send(PEER, Uint8Array.of(1), 30_000);
    expect(c.pollTransmit()).toEqual(Uint8Array.of(0x40, 0, 0, 1, 1));
  });

  it("validates options with InvalidOptionError", () => {
    expect(() => new TurnClient({ server: SERVER, username: USER, password: PASS, lifetimeS: 10 })).toThrow(/lifetimeS=10/);
    expect(() => new TurnClient({ server: { address: "turn.example", port: 3478 }, username: USER, password: PASS })).toThrow(InvalidOptionError);
    expect(() => new TurnClient({ server: SERVER, username: "", password: PASS })).toThrow(/username/);
    expect(() => new TurnClient({ server: SERVER, username: USER, password: PASS, permissionRefreshS: 300 })).toThrow(/permissionRefreshS/);
    const c = new TurnClient({ server: SERVER, username: USER, password: PASS });
    expect(() => c.bindChannel(PEER, 0)).toThrow(/wait for the "allocated" event/);
  });
});
