import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { parseClientMessage, parseServerMessage, SignalingMessageError } from "../../src/signaling/parse-signaling-message.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const OFFER = { v: 1, type: "offer", id: 7, to: "bob", callId: "c-12345678", payload: '{"sdp":"v=0"}' };

describe("parseClientMessage: protocol v1 table", () => {
  const valid: [string, object][] = [
    ["register", { v: 1, type: "register", id: 1, identity: "alice" }],
    ["register without id", { v: 1, type: "register", identity: "a.b_c@d+e-f" }],
    ["watch", { v: 1, type: "watch", id: 2, identities: ["bob", "carol"] }],
    ["watch nobody", { v: 1, type: "watch", identities: [] }],
    ["offer", OFFER],
    ["answer", { v: 1, type: "answer", to: "alice", callId: "c-12345678", payload: "" }],
    ["candidate", { v: 1, type: "candidate", to: "alice", callId: "c-12345678", payload: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host" }],
    ["hang-up without payload", { v: 1, type: "hang-up", to: "alice", callId: "c-12345678" }],
    ["hang-up with payload", { v: 1, type: "hang-up", to: "alice", callId: "c-12345678", payload: "busy" }],
    ["payload that looks like JSON and unicode", { ...OFFER, payload: '{"k":"\\u0000🔑"}\u2028' }],
  ];
  for (const [name, message] of valid) {
    it(`accepts ${name}`, () => {
      expect(parseClientMessage(JSON.stringify(message))).toEqual(message);
    });
  }

  const invalid: [string, string, "malformed" | "unsupported-version" | "too-large", RegExp, number?][] = [
    ["not JSON", "{v:1", "malformed", /not JSON/],
    ["an array", "[1,2]", "malformed", /not a JSON object/],
    ["null", "null", "malformed", /not a JSON object/],
    ["a string", '"register"', "malformed", /not a JSON object/],
    ["no version", JSON.stringify({ type: "register", identity: "a" }), "malformed", /v must be 1/],
    ["version 2", JSON.stringify({ v: 2, type: "register", id: 5, identity: "a" }), "unsupported-version", /v must be 1, got 2/, 5],
    ["version as string", JSON.stringify({ v: "1", type: "register", identity: "a" }), "malformed", /v must be 1/],
    ["unknown type", JSON.stringify({ v: 1, type: "subscribe", id: 3 }), "malformed", /type must be one of register, watch, offer/, 3],
    ["type not a string", JSON.stringify({ v: 1, type: 4 }), "malformed", /type must be a string/],
    ["negative id", JSON.stringify({ v: 1, type: "register", id: -1, identity: "a" }), "malformed", /id must be an integer/],
    ["fractional id", JSON.stringify({ v: 1, type: "register", id: 1.5, identity: "a" }), "malformed", /id must be an integer/],
    ["id too big", JSON.stringify({ v: 1, type: "register", id: 2 ** 31, identity: "a" }), "malformed", /id must be an integer/],
    ["empty identity", JSON.stringify({ v: 1, type: "register", id: 9, identity: "" }), "malformed", /is not an identity/, 9],
    ["identity with a space", JSON.stringify({ v: 1, type: "register", identity: "al ice" }), "malformed", /is not an identity/],
    ["identity of 65 characters", JSON.stringify({ v: 1, type: "register", identity: "a".repeat(65) }), "malformed", /is not an identity/],
    ["identity starting with a dot", JSON.stringify({ v: 1, type: "register", identity: ".a" }), "malformed", /is not an identity/],
    ["identity not a string", JSON.stringify({ v: 1, type: "register", identity: 42 }), "malformed", /identity must be a string/],
    ["unknown field", JSON.stringify({ v: 1, type: "register", identity: "a", admin: true }), "malformed", /unknown field "admin"/],
    ["__proto__ field", '{"v":1,"type":"register","identity":"a","__proto__":{"x":1}}', "malformed", /unknown field "__proto__"/],
    ["watch not an array", JSON.stringify({ v: 1, type: "watch", identities: "bob" }), "malformed", /array of at most 100/],
    ["watch of 101", JSON.stringify({ v: 1, type: "watch", identities: Array.from({ length: 101 }, (_, i) => `u${i}`) }), "malformed", /at most 100/],
    ["watch holding a number", JSON.stringify({ v: 1, type: "watch", identities: ["bob", 3] }), "malformed", /not an identity/],
    ["offer without payload", JSON.stringify({ ...OFFER, payload: undefined }), "malformed", /payload must be a string/, 7],
    ["offer with an object payload", JSON.stringify({ ...OFFER, payload: { sdp: "x" } }), "malformed", /payload must be a string/, 7],
    ["offer without to", JSON.stringify({ ...OFFER, to: undefined }), "malformed", /to must be a string/, 7],
    ["call id too short", JSON.stringify({ ...OFFER, callId: "abc" }), "malformed", /is not a call id/, 7],
    ["call id with a slash", JSON.stringify({ ...OFFER, callId: "abcdefgh/" }), "malformed", /is not a call id/, 7],
    ["offer with a from (forged sender)", JSON.stringify({ ...OFFER, from: "mallory" }), "malformed", /unknown field "from"/, 7],
    ["too large", JSON.stringify({ ...OFFER, payload: "x".repeat(70_000) }), "too-large", /larger than 65536 bytes/],
    ["too large in UTF-8 only", JSON.stringify({ ...OFFER, payload: "é".repeat(33_000) }), "too-large", /larger than 65536 bytes/],
  ];
  for (const [name, text, problem, message, requestId] of invalid) {
    it(`refuses ${name} as ${problem}`, () => {
      let error: unknown;
      try {
        parseClientMessage(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SignalingMessageError);
      expect(error).toBeInstanceOf(MalformedPacketError);
      const e = error as SignalingMessageError;
      expect(e.problem).toBe(problem);
      expect(e.message).toMatch(/^Cannot /);
      expect(e.message).toMatch(message);
      expect(e.requestId).toBe(requestId);
    });
  }
});

describe("parseServerMessage: protocol v1 table", () => {
  const valid: object[] = [
    { v: 1, type: "ack", id: 3 },
    { v: 1, type: "presence-state", id: 4, online: ["bob"], offline: ["carol"] },
    { v: 1, type: "presence", identity: "bob", online: false },
    { v: 1, type: "error", id: 5, code: "unknown-peer", message: "Cannot send offer to zed: not online" },
    { v: 1, type: "error", code: "rate-limited", message: "slow down" },
    { v: 1, type: "offer", from: "alice", callId: "c-12345678", payload: "x" },
    { v: 1, type: "hang-up", from: "alice", callId: "c-12345678" },
  ];
  for (const m of valid) {
    it(`accepts ${JSON.stringify(m).slice(0, 60)}`, () => expect(parseServerMessage(JSON.stringify(m))).toEqual(m));
  }
  const invalid: [string, object][] = [
    ["ack without id", { v: 1, type: "ack" }],
    ["presence with a string online", { v: 1, type: "presence", identity: "bob", online: "yes" }],
    ["relayed offer with an id", { v: 1, type: "offer", id: 1, from: "alice", callId: "c-12345678", payload: "x" }],
    ["relayed offer with a to", { v: 1, type: "offer", from: "alice", to: "bob", callId: "c-12345678", payload: "x" }],
    ["error with an upper-case code", { v: 1, type: "error", code: "BAD", message: "x" }],
    ["error with a 2000-character message", { v: 1, type: "error", code: "malformed", message: "x".repeat(2000) }],
    ["register (a client message)", { v: 1, type: "register", identity: "a" }],
  ];
  for (const [name, m] of invalid) {
    it(`refuses ${name}`, () => expect(() => parseServerMessage(JSON.stringify(m))).toThrow(SignalingMessageError));
  }
});

// Text-level mutations of valid frames: the validator sees broken JSON, wrong types, extra
// and missing fields, odd characters; it must throw SignalingMessageError or return a message
// that survives a JSON round trip unchanged, and never anything else.
function mutateText(rng: SeededRandom, text: string): string {
  let s = text;
  for (let k = rng.int(1, 3); k > 0; k--) {
    const i = rng.int(0, s.length);
    const op = rng.int(0, 6);
    if (op === 0) s = s.slice(0, i);
    else if (op === 1) s = s.slice(0, i) + String.fromCharCode(rng.int(0, 0xffff)) + s.slice(i + 1);
    else if (op === 2) s = s.slice(0, i) + ['"', "{", "}", "[", "]", ",", ":", "\\", "1", "null", "true", "-", "e9", '"id":', '"v":2,'][rng.int(0, 14)]! + s.slice(i);
    else if (op === 3) s = s.slice(0, i) + s.slice(i + rng.int(1, 8));
    else if (op === 4) s = s.replace(/"[a-z]+"/, ['"x"', '""', "0", "[]", "{}", "null", '"' + "y".repeat(rng.int(0, 200)) + '"'][rng.int(0, 6)]!);
    else if (op === 5) s = s.replace(/,"[A-Za-z]+":("[^"]*"|\d+|\[[^\]]*\])/, "");
    else s = s.replace("}", `,"${["id", "v", "type", "to", "from", "payload", "extra"][rng.int(0, 6)]}":${["1", '"a"', "[]", "{}", "-3", "1e400"][rng.int(0, 5)]}}`);
  }
  return s;
}

const SEEDS: object[] = [
  { v: 1, type: "register", id: 1, identity: "alice" },
  { v: 1, type: "watch", id: 2, identities: ["bob", "carol"] },
  OFFER,
  { v: 1, type: "candidate", to: "alice", callId: "c-12345678", payload: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" },
  { v: 1, type: "hang-up", id: 9, to: "alice", callId: "c-12345678" },
];
const SERVER_SEEDS: object[] = [
  { v: 1, type: "ack", id: 3 },
  { v: 1, type: "presence-state", id: 4, online: ["bob"], offline: ["carol"] },
  { v: 1, type: "presence", identity: "bob", online: true },
  { v: 1, type: "error", id: 5, code: "unknown-peer", message: "Cannot send" },
  { v: 1, type: "answer", from: "bob", callId: "c-12345678", payload: "x" },
];

function fuzzParser(parse: (text: string) => unknown, seeds: object[], seed: number, count: number): { parsed: number; rejected: number } {
  const rng = new SeededRandom(seed);
  const out = { parsed: 0, rejected: 0 };
  for (let n = 0; n < count; n++) {
    let text: string;
    if (n % 5 === 0) text = new TextDecoder().decode(rng.fill(new Uint8Array(rng.int(0, 64))));
    else text = mutateText(rng, JSON.stringify(seeds[rng.int(0, seeds.length - 1)]));
    let value: unknown;
    try {
      value = parse(text);
    } catch (e) {
      if (!(e instanceof SignalingMessageError)) throw new Error(`fuzz input ${n} ${JSON.stringify(text)} threw ${String(e)}`);
      out.rejected++;
      continue;
    }
    out.parsed++;
    expect(parse(JSON.stringify(value))).toEqual(value);
  }
  return out;
}

describe("signaling parsers under fuzzing (seeded mutations)", () => {
  it("parseClientMessage throws only SignalingMessageError, and what parses round-trips", () => {
    const r = fuzzParser((t) => parseClientMessage(t), SEEDS, 0x5161, 20_000);
    expect(r.rejected).toBeGreaterThan(10_000);
    expect(r.parsed).toBeGreaterThan(100);
  });
  it("parseServerMessage throws only SignalingMessageError, and what parses round-trips", () => {
    const r = fuzzParser((t) => parseServerMessage(t), SERVER_SEEDS, 0x5162, 20_000);
    expect(r.rejected).toBeGreaterThan(10_000);
    expect(r.parsed).toBeGreaterThan(100);
  });
});
