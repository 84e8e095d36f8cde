/**
 * The call description a peer sends in its offer/answer (remote-call.ts) is network input: it
 * must parse or throw MalformedPacketError, nothing else, whatever arrives.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { parseDescription } from "../../src/session/remote-call.js";

const valid = {
  ice: { ufrag: "abcd", pwd: "0123456789abcdefghijkl" },
  send: { video: { codec: "vp8", ssrc: 1, rtxSsrc: 2, width: 320, height: 240, fps: 30 }, audio: { ssrc: 3, channels: 1 } },
  patternSeed: 7,
  transportCc: true,
  key: ["AQID"],
};

describe("call description parser (fuzz)", () => {
  it("accepts a well-formed description", () => {
    const d = parseDescription(JSON.stringify(valid));
    expect(d.send.video?.ssrc).toBe(1);
    expect(d.transportCc).toBe(true);
    expect(d.patternSeed).toBe(7);
  });

  it.each([
    ["not JSON", "{"],
    ["an array", "[]"],
    ["no ice", JSON.stringify({ ...valid, ice: undefined })],
    ["a bad codec", JSON.stringify({ ...valid, send: { video: { ...valid.send.video, codec: "h264" } } })],
    ["an SSRC beyond 32 bits", JSON.stringify({ ...valid, send: { audio: { ssrc: 2 ** 33, channels: 1 } } })],
    ["no key messages", JSON.stringify({ ...valid, key: [] })],
  ])("refuses %s with MalformedPacketError", (_what, text) => {
    expect(() => parseDescription(text)).toThrow(MalformedPacketError);
  });

  it("arbitrary and mutated JSON: a description or MalformedPacketError, never another error", () => {
    const mutated = fc.record({
      ice: fc.option(fc.record({ ufrag: fc.oneof(fc.string(), fc.integer()), pwd: fc.oneof(fc.string(), fc.constant(null)) }), { nil: undefined }),
      send: fc.option(fc.anything(), { nil: undefined }),
      patternSeed: fc.anything(),
      transportCc: fc.anything(),
      key: fc.oneof(fc.array(fc.string(), { maxLength: 6 }), fc.anything()),
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), mutated.map((m) => JSON.stringify(m))), (text) => {
        try {
          parseDescription(text);
        } catch (err) {
          if (!(err instanceof MalformedPacketError)) throw err;
        }
      }),
      { numRuns: 5000, seed: 7 },
    );
  });
});
