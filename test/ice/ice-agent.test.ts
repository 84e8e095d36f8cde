import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { IceAgent, type IceAgentOptions } from "../../src/ice/ice-agent.js";
import { StunAttributeType as T } from "../../src/stun/stun-attribute-type.js";
import { shortTermKey } from "../../src/stun/stun-credentials.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { StunClass, StunMethod } from "../../src/stun/stun-message-type.js";
import { transportAddress } from "../../src/stun/transport-address.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { eventsOf, VirtualIceNet, type NetNode } from "./virtual-ice-net.js";

function setup(o: { a?: IceAgentOptions; b?: IceAgentOptions; aAddrs?: string[]; bAddrs?: string[]; pair?: boolean } = {}) {
  const net = new VirtualIceNet();
  const a = net.add("A", new IceAgent({ role: "controlling", seed: 11, ...o.a }), o.aAddrs ?? ["10.0.0.1:5000"]);
  const b = net.add("B", new IceAgent({ role: "controlled", seed: 22, ...o.b }), o.bAddrs ?? ["10.0.0.2:6000"]);
  if (o.pair !== false) net.pairUp(a, b);
  return { net, a, b };
}

const both = (a: NetNode, b: NetNode) => () => a.agent.selectedPair !== undefined && b.agent.selectedPair !== undefined;

function check(ufragPair: string, key: Uint8Array, seed: number, extra: (m: StunMessage) => void = () => {}): Uint8Array {
  const id = new SeededRandom(seed).fill(new Uint8Array(12));
  const m = new StunMessage({ messageClass: StunClass.request, method: StunMethod.binding, transactionId: id });
  m.addText(T.username, ufragPair);
  m.addUint32(T.priority, 1862270975);
  m.addTieBreaker(T.iceControlling, 5n);
  extra(m);
  return m.serialize({ integrityKey: key, fingerprint: true });
}

describe("IceAgent in memory (RFC 8445)", () => {
  it("two agents connect host-host; both select the same pair and media flows both ways", () => {
    const { net, a, b } = setup();
    net.run(5_000_000, both(a, b));
    const pa = a.agent.selectedPair!;
    const pb = b.agent.selectedPair!;
    expect(pa.local.address).toEqual(transportAddress("10.0.0.1", 5000));
    expect(pa.remote.address).toEqual(transportAddress("10.0.0.2", 6000));
    expect(pb.local.address).toEqual(pa.remote.address);
    expect(pb.remote.address).toEqual(pa.local.address);
    // Regular nomination: one check, then one with USE-CANDIDATE, a few RTTs (1 ms each way here).
    expect(net.nowUs).toBeLessThan(100_000);
    expect(a.agent.checklist().find((p) => p.nominated)?.state).toBe("succeeded");
    net.send(a, new Uint8Array([0x80, 1, 2, 3]));
    net.send(b, new Uint8Array([0x80, 9, 9, 9]));
    net.run(net.nowUs + 10_000);
    expect(b.received.map((r) => Array.from(r.data))).toEqual([[0x80, 1, 2, 3]]);
    expect(a.received.map((r) => Array.from(r.data))).toEqual([[0x80, 9, 9, 9]]);
    expect(a.agent.stats().mediaSent).toBe(1);
    expect(b.agent.stats().mediaReceived).toBe(1);
  });

  it("forms the checklist by pair priority and nominates the best pair (RFC 8445 6.1.2.3, 8.1.1)", () => {
    const { net, a, b } = setup({ aAddrs: ["10.0.0.1:5000", "10.0.1.1:5001"], bAddrs: ["10.0.0.2:6000", "10.0.1.2:6001"] });
    net.run(5_000_000, both(a, b));
    const list = a.agent.checklist();
    expect(list).toHaveLength(4);
    for (let i = 1; i < list.length; i++) expect(list[i - 1]!.priority > list[i]!.priority).toBe(true);
    // The first socket has the higher local preference on both sides: its pair wins.
    expect(a.agent.selectedPair!.local.address.port).toBe(5000);
    expect(a.agent.selectedPair!.remote.address.port).toBe(6000);
    expect(list.filter((p) => p.nominated)).toHaveLength(1);
    expect(b.agent.selectedPair!.remote.address.port).toBe(5000);
  });

  it("the controlled agent selects only on USE-CANDIDATE (RFC 8445 7.3.1.5)", () => {
    const { net, a, b } = setup({ pair: false, a: { checkRtoMs: 100 } });
    let useCandidateDropped = 0;
    net.filter = (d) => {
      if (d.data[0]! > 3 || net.nowUs >= 200_000) return true;
      const m = StunMessage.parse(d.data);
      if (m.isRequest && m.has(T.useCandidate)) {
        useCandidateDropped++;
        return false;
      }
      return true;
    };
    net.pairUp(a, b);
    net.run(190_000);
    // B has a valid pair, A nominated it, but B never saw USE-CANDIDATE: no selected pair.
    expect(useCandidateDropped).toBeGreaterThan(0);
    expect(b.agent.checklist().some((p) => p.state === "succeeded")).toBe(true);
    expect(b.agent.selectedPair).toBeUndefined();
    net.run(5_000_000, both(a, b));
    expect(b.agent.selectedPair).toBeDefined();
    expect(b.agent.checklist().find((p) => p.nominated)).toBeDefined();
  });

  it("connects despite lost checks: retransmissions (RFC 8489 6.2.1) recover", () => {
    const { net, a, b } = setup({ a: { checkRtoMs: 100 }, b: { checkRtoMs: 100 } });
    let stunDropped = 0;
    net.filter = (d) => {
      if (d.data[0]! <= 3 && stunDropped < 4) {
        stunDropped++;
        return false;
      }
      return true;
    };
    net.run(10_000_000, both(a, b));
    expect(stunDropped).toBe(4);
    expect(a.agent.selectedPair).toBeDefined();
    expect(a.agent.stats().checkRetransmissions + b.agent.stats().checkRetransmissions).toBeGreaterThan(0);
  });

  it("learns peer-reflexive candidates behind a NAT (RFC 8445 7.3.1.3, 7.2.5.3.1)", () => {
    const { net, a, b } = setup({ pair: false });
    net.addNat(a, 0, "192.0.2.50:40000");
    net.pairUp(a, b);
    net.run(5_000_000, both(a, b));
    const pb = b.agent.selectedPair!;
    expect(pb.remote.type).toBe("prflx");
    expect(pb.remote.address).toEqual(transportAddress("192.0.2.50", 40000));
    expect(b.agent.stats().peerReflexiveRemote).toBe(1);
    expect(a.agent.stats().peerReflexiveLocal).toBe(1);
    expect(a.agent.localCandidates.some((c) => c.type === "prflx" && c.address.port === 40000)).toBe(true);
    net.send(a, new Uint8Array([0x80, 7]));
    net.send(b, new Uint8Array([0x80, 8]));
    net.run(net.nowUs + 10_000);
    expect(b.received).toHaveLength(1);
    expect(a.received).toHaveLength(1);
  });

  it("trickle: remote candidates added late still connect", () => {
    const { net, a, b } = setup({ pair: false });
    a.peer = b;
    b.peer = a;
    a.signal = false;
    b.signal = false;
    net.handle(a, a.agent.setRemoteCredentials(b.agent.localCredentials.ufrag, b.agent.localCredentials.pwd, 0));
    net.handle(b, b.agent.setRemoteCredentials(a.agent.localCredentials.ufrag, a.agent.localCredentials.pwd, 0));
    net.handle(b, b.agent.gather(0));
    const aOut = a.agent.gather(0);
    const cand = aOut.events.flatMap((e) => (e.type === "candidate" ? [e.candidate] : []));
    net.handle(a, aOut);
    net.run(300_000);
    expect(b.agent.selectedPair).toBeUndefined();
    for (const c of cand) net.handle(b, b.agent.addRemoteCandidate(c, net.nowUs));
    net.run(5_000_000, both(a, b));
    expect(net.nowUs).toBeLessThan(500_000);
    // A never got B's candidates: it learnt B from B's check, as peer-reflexive.
    expect(a.agent.selectedPair!.remote.type).toBe("prflx");
    expect(b.agent.selectedPair!.remote.type).toBe("host");
  });

  it("role conflict, both controlling: the larger tie-breaker stays controlling (RFC 8445 7.3.1.1, 487)", () => {
    const { net, a, b } = setup({ a: { role: "controlling", tieBreaker: 10n }, b: { role: "controlling", tieBreaker: 20n } });
    net.run(5_000_000, both(a, b));
    expect(a.agent.role).toBe("controlled");
    expect(b.agent.role).toBe("controlling");
    expect(a.agent.stats().roleConflicts + b.agent.stats().roleConflicts).toBeGreaterThan(0);
    expect(eventsOf(a, "role-changed")).toEqual([{ type: "role-changed", role: "controlled" }]);
    expect(eventsOf(b, "role-changed")).toHaveLength(0);
    expect(a.agent.selectedPair!.remote.address).toEqual(b.agent.selectedPair!.local.address);
  });

  it("role conflict, both controlled: the larger tie-breaker becomes controlling (RFC 8445 7.3.1.1)", () => {
    const { net, a, b } = setup({ a: { role: "controlled", tieBreaker: 99n }, b: { role: "controlled", tieBreaker: 1n } });
    net.run(5_000_000, both(a, b));
    expect(a.agent.role).toBe("controlling");
    expect(b.agent.role).toBe("controlled");
    expect(b.agent.selectedPair).toBeDefined();
  });

  it("a 487 response makes the checking agent switch role and check again (RFC 8445 7.2.5.1)", () => {
    const agent = new IceAgent({ role: "controlling", tieBreaker: 1n, seed: 3, ufrag: "AAAA", pwd: "a".repeat(22) });
    agent.addLocalSocket(0, transportAddress("10.0.0.1", 5000));
    agent.setRemoteCredentials("BBBB", "b".repeat(22), 0);
    agent.gather(0);
    const out = agent.addRemoteCandidate({ foundation: "1", component: 1, transport: "udp", priority: 2130706431, address: transportAddress("10.0.0.2", 6000), type: "host" }, 0);
    expect(out.transmits).toHaveLength(0);
    const sent = agent.tick(0).transmits;
    expect(sent).toHaveLength(1);
    const req = StunMessage.parse(sent[0]!.data);
    expect(req.getTieBreaker(T.iceControlling)).toBe(1n);
    const resp = new StunMessage({ messageClass: StunClass.errorResponse, method: StunMethod.binding, transactionId: req.transactionId });
    resp.addErrorCode({ code: 487, reason: "Role Conflict" });
    const ev = agent.handleDatagram(resp.serialize({ integrityKey: shortTermKey("b".repeat(22)), fingerprint: true }), transportAddress("10.0.0.2", 6000), 0, 2000).events;
    expect(ev).toContainEqual({ type: "role-changed", role: "controlled" });
    const again = agent.tick(60_000).transmits;
    expect(again).toHaveLength(1);
    const req2 = StunMessage.parse(again[0]!.data);
    expect(req2.getTieBreaker(T.iceControlled)).toBe(1n);
    expect(req2.has(T.iceControlling)).toBe(false);
  });

  it("drops and counts a forged check with wrong credentials; answers a right one", () => {
    const { net, a, b } = setup();
    const bc = b.agent.localCredentials;
    const ac = a.agent.localCredentials;
    const from = transportAddress("10.0.0.66", 7000);
    const forged = check(`${bc.ufrag}:${ac.ufrag}`, shortTermKey("wrong-password-0123456789"), 1);
    const out = b.agent.handleDatagram(forged, from, 0, net.nowUs);
    expect(out.transmits).toHaveLength(0);
    expect(b.agent.stats().authFailures).toBe(1);
    const wrongUser = check(`nobody:${ac.ufrag}`, shortTermKey(bc.pwd), 2);
    expect(b.agent.handleDatagram(wrongUser, from, 0, net.nowUs).transmits).toHaveLength(0);
    expect(b.agent.stats().authFailures).toBe(2);
    const good = check(`${bc.ufrag}:${ac.ufrag}`, shortTermKey(bc.pwd), 3);
    const answer = b.agent.handleDatagram(good, from, 0, net.nowUs).transmits;
    expect(answer).toHaveLength(1);
    const resp = StunMessage.parse(answer[0]!.data);
    expect(resp.messageClass).toBe(StunClass.successResponse);
    expect(resp.verifyIntegrity(shortTermKey(bc.pwd))).toBe(true);
    expect(resp.getXorAddress(T.xorMappedAddress)).toEqual(from);
    expect(b.agent.stats().authFailures).toBe(2);
  });

  it("drops and counts malformed STUN and media from unknown sources, never throws", () => {
    const { net, a, b } = setup();
    net.run(5_000_000, both(a, b));
    const junk = check("x:y", shortTermKey("z"), 4);
    junk[junk.length - 1]! ^= 0xff; // FINGERPRINT broken
    const from = transportAddress("10.9.9.9", 9);
    expect(b.agent.handleDatagram(junk, from, 0, net.nowUs).transmits).toHaveLength(0);
    expect(b.agent.stats().malformedDropped).toBe(1);
    const media = b.agent.handleDatagram(new Uint8Array([0x80, 0, 0, 0]), from, 0, net.nowUs);
    expect(media.events).toHaveLength(0);
    expect(b.agent.stats().mediaUnknownSource).toBe(1);
    const rng = new SeededRandom(5);
    for (let i = 0; i < 2000; i++) b.agent.handleDatagram(rng.fill(new Uint8Array(rng.int(0, 80))), from, 0, net.nowUs);
    expect(b.agent.connected).toBe(true);
  });

  it("fuzz: mutated real checks and responses never throw and leave the connection up", () => {
    const { net, a, b } = setup({ b: { maxChecksPerSecond: 100_000 } });
    const captured: Uint8Array[] = [];
    net.filter = (d) => {
      if (d.data[0]! <= 3 && captured.length < 50) captured.push(d.data.slice());
      return true;
    };
    net.run(5_000_000, both(a, b));
    expect(captured.length).toBeGreaterThan(3);
    const rng = new SeededRandom(8445);
    const from = transportAddress("10.0.0.1", 5000);
    for (let i = 0; i < 5000; i++) {
      const m = captured[rng.int(0, captured.length - 1)]!.slice();
      for (let k = rng.int(1, 3); k > 0; k--) m[rng.int(0, m.length - 1)] = rng.int(0, 255);
      const out = b.agent.handleDatagram(rng.int(0, 3) === 0 ? m.subarray(0, rng.int(0, m.length)) : m, from, 0, net.nowUs);
      expect(out.events.some((e) => e.type === "failed")).toBe(false);
    }
    const st = b.agent.stats();
    expect(st.malformedDropped + st.authFailures + st.responsesDropped + st.mediaUnknownSource).toBeGreaterThan(4000);
    expect(b.agent.connected).toBe(true);
    net.send(a, new Uint8Array([0x80, 0x55]));
    net.run(net.nowUs + 5_000);
    expect(b.received.at(-1)!.data[1]).toBe(0x55);
  });

  it("rate-limits a flood of valid checks and counts what it drops", () => {
    const { net, b, a } = setup({ b: { maxChecksPerSecond: 200 } });
    const bc = b.agent.localCredentials;
    const ac = a.agent.localCredentials;
    const key = shortTermKey(bc.pwd);
    const from = transportAddress("10.0.0.77", 7777);
    const t0 = net.nowUs + 1_000_000;
    let answered = 0;
    for (let i = 0; i < 1000; i++) answered += b.agent.handleDatagram(check(`${bc.ufrag}:${ac.ufrag}`, key, 100 + i), from, 0, t0).transmits.length;
    expect(answered).toBe(200);
    expect(b.agent.stats().checksRateLimited).toBe(800);
    // One second later the bucket is full again.
    answered = 0;
    for (let i = 0; i < 300; i++) answered += b.agent.handleDatagram(check(`${bc.ufrag}:${ac.ufrag}`, key, 5000 + i), from, 0, t0 + 1_000_000).transmits.length;
    expect(answered).toBe(200);
    expect(b.agent.stats().checksRateLimited).toBe(900);
  });

  it("consent freshness: checks every 5 s ±20%, consent lost 30 s after the last answer (RFC 7675 5.1)", () => {
    const { net, a, b } = setup();
    net.run(5_000_000, both(a, b));
    const t0 = net.nowUs;
    net.run(t0 + 60_000_000);
    const sent = a.agent.stats().consentChecksSent;
    expect(sent).toBeGreaterThanOrEqual(10); // 60 s / 6 s
    expect(sent).toBeLessThanOrEqual(15); // 60 s / 4 s
    expect(a.agent.stats().consentResponses).toBe(sent);
    expect(eventsOf(a, "consent-lost")).toHaveLength(0);
    // Now the path breaks.
    const tBreak = net.nowUs;
    net.filter = () => false;
    net.run(tBreak + 40_000_000, () => eventsOf(a, "consent-lost").length > 0);
    const lostAt = a.events.find((e) => e.event.type === "consent-lost")!.atUs;
    const disconnected = a.events.filter((e) => e.event.type === "disconnected");
    // Consent checks both ways kept the idle pair alive: no "disconnected" before the break.
    expect(disconnected).toHaveLength(1);
    expect(disconnected[0]!.atUs).toBeGreaterThan(tBreak);
    expect(disconnected[0]!.atUs).toBeLessThan(lostAt);
    // The last answer came at most one interval (6 s) before the break.
    expect(lostAt - tBreak).toBeGreaterThan(24_000_000);
    expect(lostAt - tBreak).toBeLessThanOrEqual(30_000_000);
    expect(a.agent.connected).toBe(false);
    const before = a.agent.stats().mediaSendDropped;
    net.send(a, new Uint8Array([0x80, 1]));
    expect(a.agent.stats().mediaSendDropped).toBe(before + 1);
  });

  it("ICE restart: new credentials, media stays on the old pair until a new pair is selected (RFC 8445 9)", () => {
    const { net, a, b } = setup();
    net.run(5_000_000, both(a, b));
    const oldA = a.agent.localCredentials;
    const oldB = b.agent.localCredentials;
    const oldPair = a.agent.selectedPair!;
    net.handle(a, a.agent.restart(net.nowUs));
    expect(a.agent.localCredentials.ufrag).not.toBe(oldA.ufrag);
    // B answered the restart with its own new credentials (signaled through the net).
    expect(b.agent.localCredentials.ufrag).not.toBe(oldB.ufrag);
    expect(a.agent.selectedPair).toEqual(oldPair);
    net.send(a, new Uint8Array([0x80, 0x11]));
    net.run(net.nowUs + 1_500);
    expect(b.received.map((r) => r.data[1])).toEqual([0x11]);
    net.run(net.nowUs + 5_000_000, () => a.agent.selectedPair?.ufrag !== oldPair.ufrag && b.agent.selectedPair?.ufrag === b.agent.localCredentials.ufrag);
    expect(a.agent.selectedPair!.ufrag).toBe(a.agent.localCredentials.ufrag);
    expect(eventsOf(a, "selected-pair")).toHaveLength(2);
    expect(eventsOf(a, "restarted")).toHaveLength(1);
    expect(eventsOf(b, "restarted")).toHaveLength(1);
    expect(a.agent.stats().restarts).toBe(1);
    net.send(a, new Uint8Array([0x80, 0x22]));
    net.send(b, new Uint8Array([0x80, 0x33]));
    net.run(net.nowUs + 5_000);
    expect(b.received.map((r) => r.data[1])).toEqual([0x11, 0x22]);
    expect(a.received.map((r) => r.data[1])).toEqual([0x33]);
    // Checks with the old credentials are now refused.
    const stale = check(`${oldA.ufrag}:${oldB.ufrag}`, shortTermKey(oldA.pwd), 9);
    expect(a.agent.handleDatagram(stale, transportAddress("10.0.0.2", 6000), 0, net.nowUs).transmits).toHaveLength(0);
  });

  it("answers a check with an unknown comprehension-required attribute with 420 (RFC 8489 6.3.1)", () => {
    const { b, a, net } = setup();
    const bc = b.agent.localCredentials;
    const req = check(`${bc.ufrag}:${a.agent.localCredentials.ufrag}`, shortTermKey(bc.pwd), 77, (m) => m.add(0x7777, new Uint8Array(4)));
    const out = b.agent.handleDatagram(req, transportAddress("10.0.0.1", 5000), 0, net.nowUs).transmits;
    expect(out).toHaveLength(1);
    const resp = StunMessage.parse(out[0]!.data);
    expect(resp.messageClass).toBe(StunClass.errorResponse);
    expect(resp.errorCode?.code).toBe(420);
    expect(resp.unknownAttributes).toEqual([0x7777]);
  });

  it("a second restart before the first completed still ends on the newest credentials", () => {
    const { net, a, b } = setup();
    net.run(5_000_000, both(a, b));
    const oldPair = a.agent.selectedPair!;
    net.handle(a, a.agent.restart(net.nowUs));
    net.run(net.nowUs + 500);
    net.handle(a, a.agent.restart(net.nowUs));
    const newest = a.agent.localCredentials.ufrag;
    net.run(net.nowUs + 5_000_000, () => a.agent.selectedPair?.ufrag === newest && b.agent.selectedPair?.ufrag === b.agent.localCredentials.ufrag);
    expect(a.agent.selectedPair!.ufrag).toBe(newest);
    expect(a.agent.selectedPair!.ufrag).not.toBe(oldPair.ufrag);
    expect(a.agent.stats().restarts).toBe(2);
    net.send(a, new Uint8Array([0x80, 0x44]));
    net.run(net.nowUs + 5_000);
    expect(b.received.at(-1)!.data[1]).toBe(0x44);
  });

  it("reports failure once every pair failed and the peer ended its candidates", () => {
    const { net, a, b } = setup({ a: { checkRtoMs: 50, checkMaxTransmits: 3 }, pair: false });
    net.filter = () => false;
    net.pairUp(a, b);
    net.run(30_000_000, () => eventsOf(a, "failed").length > 0);
    expect(eventsOf(a, "failed")).toEqual([{ type: "failed", reason: "Cannot connect: all 1 candidate pairs failed" }]);
    expect(a.agent.selectedPair).toBeUndefined();
  });

  it("paces checks at Ta (RFC 8445 6.1.4.2)", () => {
    const { net, a } = setup({ a: { taMs: 20 }, aAddrs: ["10.0.0.1:5000", "10.0.1.1:5001", "10.0.2.1:5002"], bAddrs: ["10.0.0.2:6000", "10.0.1.2:6001", "10.0.2.2:6002"], pair: false });
    const times: number[] = [];
    net.filter = (d) => {
      if (d.from.address.startsWith("10.0.") && d.from.port >= 5000 && d.from.port < 5003 && d.data[0] === 0 && d.data[1] === 1) times.push(d.atUs - net.delayUs);
      return false; // nothing answers: every check is a fresh one or a retransmission
    };
    net.pairUp(a, net.nodes[1]!);
    net.run(150_000);
    const firsts = [...new Set(times)].sort((x, y) => x - y);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]! - firsts[i - 1]!).toBeGreaterThanOrEqual(20_000);
    expect(firsts.length).toBeGreaterThanOrEqual(5);
  });

  it("validates options with InvalidOptionError", () => {
    expect(() => new IceAgent({ taMs: 0 })).toThrow(InvalidOptionError);
    expect(() => new IceAgent({ role: "boss" as "controlling" })).toThrow(/allowed is one of controlling, controlled/);
    expect(() => new IceAgent({ ufrag: "ab" })).toThrow(InvalidOptionError);
    expect(() => new IceAgent({ turnServers: [{ address: "turn.example", port: 3478, username: "u", password: "p" }] })).toThrow(/not an IP literal/);
    const a = new IceAgent();
    expect(() => a.gather(0)).toThrow(/no local socket/);
    expect(() => a.setRemoteCredentials("a b", "x".repeat(22), 0)).toThrow(InvalidOptionError);
  });
});
