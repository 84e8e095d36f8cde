import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BadFileError, InvalidOptionError } from "../../src/errors.js";
import { formatSdp } from "../../src/sdp/format-sdp.js";
import { parseSdp } from "../../src/sdp/parse-sdp.js";
import { rtpStreamsFromSessionDescription, sessionDescriptionFromStreams, type RtpStreamDescription } from "../../src/sdp/rtp-stream-description.js";

const KEY30 = new Uint8Array(30).map((_, i) => i);
const KEY28 = new Uint8Array(28).map((_, i) => 100 + i);

const streams: RtpStreamDescription[] = [
  { codec: "vp8", payloadType: 96, address: "127.0.0.1", port: 5004, ssrc: 1111, cname: "alice@host" },
  { codec: "opus", payloadType: 111, address: "127.0.0.1", port: 5006, ssrc: 1112, cname: "alice@host" },
];

// ffmpeg 5.1 `-sdp_file` output for VP8 + Opus (shape as ffmpeg writes it).
const FFMPEG_SDP = `v=0
o=- 0 0 IN IP4 127.0.0.1
s=No Name
t=0 0
a=tool:libavformat 59.27.100
m=video 5020 RTP/AVP 96
c=IN IP4 127.0.0.1
b=AS:500
a=rtpmap:96 VP8/90000
m=audio 5022 RTP/AVP 111
c=IN IP4 127.0.0.1
b=AS:96
a=rtpmap:111 opus/48000/2
a=fmtp:111 sprop-stereo=0
`;

describe("SDP writer", () => {
  it("writes VP8 + Opus as RTP/AVP with rtpmap, fmtp (RFC 7587 6.1) and ssrc cname", () => {
    const text = formatSdp(sessionDescriptionFromStreams(streams));
    expect(text).toBe(
      [
        "v=0",
        "o=- 0 0 IN IP4 127.0.0.1",
        "s=rtcpipe",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "a=tool:rtcpipe",
        "m=video 5004 RTP/AVP 96",
        "a=rtpmap:96 VP8/90000",
        "a=sendonly",
        "a=ssrc:1111 cname:alice@host",
        "m=audio 5006 RTP/AVP 111",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=sendonly",
        "a=ssrc:1112 cname:alice@host",
        "",
      ].join("\r\n"),
    );
  });

  it("writes RTP/SAVP with a=crypto inline key||salt (RFC 4568 9.1)", () => {
    const text = formatSdp(
      sessionDescriptionFromStreams([{ codec: "vp9", payloadType: 98, address: "127.0.0.1", port: 6000, srtp: { suite: "AES_CM_128_HMAC_SHA1_80", masterKey: KEY30.slice(0, 16), masterSalt: KEY30.slice(16) } }]),
    );
    expect(text).toContain("m=video 6000 RTP/SAVP 98\r\n");
    expect(text).toContain("a=rtpmap:98 VP9/90000\r\n");
    expect(text).toContain(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.from(KEY30).toString("base64")}\r\n`);
  });

  it("round-trips streams through text, including AEAD keys (RFC 7714 14.1: 16+12 bytes)", () => {
    const input: RtpStreamDescription[] = [
      { ...streams[0]!, srtp: { suite: "AEAD_AES_128_GCM", masterKey: KEY28.slice(0, 16), masterSalt: KEY28.slice(16) } },
      { ...streams[1]!, srtp: { suite: "AEAD_AES_128_GCM", masterKey: KEY28.slice(0, 16), masterSalt: KEY28.slice(16) } },
    ];
    const back = rtpStreamsFromSessionDescription(parseSdp(formatSdp(sessionDescriptionFromStreams(input))));
    expect(back).toEqual(input.map((s) => ({ ...s, rtcpPort: s.port + 1 })));
  });

  it("refuses values that would break the text", () => {
    const d = sessionDescriptionFromStreams(streams);
    expect(() => formatSdp({ ...d, sessionName: "a\r\nm=evil" })).toThrow(InvalidOptionError);
    expect(() => formatSdp({ ...d, origin: { ...d.origin, address: "bad address" } })).toThrow(/Cannot write SDP/);
  });
});

describe("SDP parser", () => {
  it("reads what ffmpeg writes (LF line ends, b= lines, media-level c=)", () => {
    const d = parseSdp(FFMPEG_SDP);
    expect(d.sessionName).toBe("No Name");
    expect(d.media).toHaveLength(2);
    expect(d.media[1]!.fmtps).toEqual([{ payloadType: 111, parameters: "sprop-stereo=0" }]);
    const s = rtpStreamsFromSessionDescription(d);
    expect(s).toEqual([
      { codec: "vp8", payloadType: 96, address: "127.0.0.1", port: 5020, rtcpPort: 5021 },
      { codec: "opus", payloadType: 111, address: "127.0.0.1", port: 5022, rtcpPort: 5023 },
    ]);
  });

  it("reads a=rtcp (RFC 3605) and the SAVP key", () => {
    const text = `v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=video 7000 RTP/SAVP 100\r\na=rtcp:7100\r\na=rtpmap:100 vp8/90000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${Buffer.from(KEY30).toString("base64")}|2^31\r\n`;
    const [s] = rtpStreamsFromSessionDescription(parseSdp(text));
    expect(s!.rtcpPort).toBe(7100);
    expect(s!.address).toBe("10.0.0.2");
    expect(s!.srtp!.suite).toBe("AES_CM_128_HMAC_SHA1_32");
    expect(Array.from(s!.srtp!.masterSalt)).toEqual(Array.from(KEY30.slice(16)));
  });

  const bad: [string, string, RegExp][] = [
    ["empty", "", /it is empty/],
    ["no version", "o=- 0 0 IN IP4 1.2.3.4\n", /line 1: the first line must be v=0/],
    ["version 1", "v=1\n", /line 1: version "1" is not 0/],
    ["garbage line", "v=0\nhello\n", /line 2: expected "<letter>=<value>"/],
    ["o= fields", "v=0\no=- 0 IN IP4 1.2.3.4\n", /line 2: o= needs 6 fields/],
    ["no s=", "v=0\no=- 0 0 IN IP4 1.2.3.4\nt=0 0\n", /line 3: t= before s=/],
    ["bad port", "v=0\no=- 0 0 IN IP4 a\ns=x\nc=IN IP4 a\nt=0 0\nm=video 70000 RTP/AVP 96\n", /line 6: m= port 70000 is outside 0..65535/],
    ["bad PT", "v=0\no=- 0 0 IN IP4 a\ns=x\nc=IN IP4 a\nt=0 0\nm=video 5 RTP/AVP 200\n", /line 6: m= payload type 200/],
    ["rtpmap of other PT", "v=0\no=- 0 0 IN IP4 a\ns=x\nc=IN IP4 a\nt=0 0\nm=video 5 RTP/AVP 96\na=rtpmap:97 VP8/90000\n", /line 7: a=rtpmap payload type 97 is not in the m= line/],
    ["no c=", "v=0\no=- 0 0 IN IP4 a\ns=x\nt=0 0\nm=video 5 RTP/AVP 96\n", /media section 1 \(video\) has no c= line/],
    ["unknown type", "v=0\no=- 0 0 IN IP4 a\ns=x\nq=1\n", /line 4: unknown line type q=/],
    ["bad crypto", "v=0\no=- 0 0 IN IP4 a\ns=x\nc=IN IP4 a\nt=0 0\nm=video 5 RTP/SAVP 96\na=crypto:1 AES_CM_128_HMAC_SHA1_80\n", /line 7: a=crypto must be/],
  ];
  it.each(bad)("rejects %s with a line-numbered BadFileError", (_name, text, re) => {
    let err: unknown;
    try {
      parseSdp(text, { name: "x.sdp" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadFileError);
    expect((err as Error).message).toMatch(/^Cannot read SDP x\.sdp: /);
    expect((err as Error).message).toMatch(re);
  });

  it("rejects unusable streams: unknown codec, SAVP without key, wrong key length", () => {
    const head = "v=0\no=- 0 0 IN IP4 a\ns=x\nc=IN IP4 127.0.0.1\nt=0 0\n";
    expect(() => rtpStreamsFromSessionDescription(parseSdp(`${head}m=video 5 RTP/AVP 96\na=rtpmap:96 H264/90000\n`), "f")).toThrow(/no payload type maps to VP8/);
    expect(() => rtpStreamsFromSessionDescription(parseSdp(`${head}m=video 5 RTP/SAVP 96\na=rtpmap:96 VP8/90000\n`), "f")).toThrow(/RTP\/SAVP needs an a=crypto line/);
    expect(() =>
      rtpStreamsFromSessionDescription(parseSdp(`${head}m=video 5 RTP/SAVP 96\na=rtpmap:96 VP8/90000\na=crypto:1 AEAD_AES_128_GCM inline:${Buffer.from(KEY30).toString("base64")}\n`), "f"),
    ).toThrow(/Cannot read SDP f: media section 1 .*key\|\|salt has 30 bytes, allowed is 28/);
  });
});

describe("SDP parser fuzz", () => {
  const valid = formatSdp(
    sessionDescriptionFromStreams([
      { ...streams[0]!, srtp: { suite: "AES_CM_128_HMAC_SHA1_80", masterKey: KEY30.slice(0, 16), masterSalt: KEY30.slice(16) } },
      { ...streams[1]!, srtp: { suite: "AES_CM_128_HMAC_SHA1_80", masterKey: KEY30.slice(0, 16), masterSalt: KEY30.slice(16) } },
    ]),
  );
  const check = (text: string): void => {
    try {
      const d = parseSdp(text);
      // Whatever parses must write back and parse to the same thing.
      try {
        rtpStreamsFromSessionDescription(d);
      } catch (e) {
        if (!(e instanceof BadFileError)) throw e;
      }
    } catch (e) {
      if (!(e instanceof BadFileError)) throw e;
      expect(e.message).toMatch(/^Cannot read SDP text: /);
    }
  };

  it("never throws anything but BadFileError on random text (5k inputs)", () => {
    const alphabet = fc.constantFrom(..."v=0o-sctma:/ \r\n1296IN IP4RTP/AVPSAVPrtpmapcryptoinline+=VP8opus".split(""));
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 300 }), check), { numRuns: 2500 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), check), { numRuns: 2500 });
  });

  it("never throws anything but BadFileError on mutated valid SDP (5k inputs)", () => {
    const lines = valid.split("\r\n");
    const mutated = fc
      .tuple(fc.integer({ min: 0, max: lines.length - 1 }), fc.integer({ min: 0, max: 80 }), fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 4 }))
      .map(([li, pos, ins, op]) => {
        const copy = lines.slice();
        const l = copy[li]!;
        if (op === 0) copy[li] = l.slice(0, pos) + ins + l.slice(pos);
        else if (op === 1) copy[li] = l.slice(0, pos) + l.slice(pos + ins.length + 1);
        else if (op === 2) copy.splice(li, 1);
        else if (op === 3) copy.splice(li, 0, copy[(li + pos) % copy.length]!);
        else copy[li] = l.replace(/\d+/, String(pos * 1000));
        return copy.join(op === 4 ? "\n" : "\r\n");
      });
    fc.assert(fc.property(mutated, check), { numRuns: 5000 });
  });

  it("round-trips every description it writes (property)", () => {
    const stream = fc.record({
      codec: fc.constantFrom("vp8" as const, "vp9" as const, "opus" as const),
      payloadType: fc.integer({ min: 96, max: 127 }),
      address: fc.constantFrom("127.0.0.1", "10.1.2.3", "::1"),
      port: fc.integer({ min: 1, max: 65534 }),
      ssrc: fc.integer({ min: 0, max: 0xffffffff }),
      cname: fc.stringMatching(/^[a-z0-9@.]{1,20}$/),
    });
    fc.assert(
      fc.property(fc.array(stream, { minLength: 1, maxLength: 4 }), (ss) => {
        const back = rtpStreamsFromSessionDescription(parseSdp(formatSdp(sessionDescriptionFromStreams(ss))));
        expect(back).toEqual(ss.map((s) => ({ ...s, rtcpPort: s.port + 1 })));
      }),
      { numRuns: 500 },
    );
  });
});
