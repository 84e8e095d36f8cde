import { describe, expect, it } from "vitest";
import { MalformedPacketError } from "../../src/errors.js";
import { ChannelData } from "../../src/turn/channel-data.js";
import { classifyDatagram } from "../../src/turn/classify-datagram.js";
import { StunMessage } from "../../src/stun/stun-message.js";
import { fuzz } from "../rtp/fuzz-helper.js";

describe("ChannelData (RFC 8656 12.4)", () => {
  it("RFC 8656 12.4: 4-byte header, channel and unpadded length; padded form for TCP (12.5)", () => {
    const cd = new ChannelData(0x4001, Uint8Array.of(1, 2, 3, 4, 5));
    expect(Array.from(cd.serialize())).toEqual([0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
    expect(Array.from(cd.serialize(true))).toEqual([0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0]);
    const p = ChannelData.parse(cd.serialize(true));
    expect(p.channel).toBe(0x4001);
    expect(p.data).toEqual(Uint8Array.of(1, 2, 3, 4, 5));
  });

  it("RFC 8656 12: channels outside 0x4000-0x4FFF, short or overlong datagrams are malformed", () => {
    expect(() => ChannelData.parse(Uint8Array.of(0x50, 0, 0, 0))).toThrow(/0x4000-0x4FFF/);
    expect(() => ChannelData.parse(Uint8Array.of(0x40, 0, 0, 4, 1))).toThrow(MalformedPacketError);
    expect(() => ChannelData.parse(Uint8Array.of(0x40, 0, 0, 0, 0, 0, 0, 0))).toThrow(/padding/);
    expect(() => new ChannelData(0x3fff, new Uint8Array(0))).toThrow(MalformedPacketError);
  });

  it("RFC 7983 7: the first byte tells STUN, DTLS, ChannelData and RTP apart", () => {
    const stun = new StunMessage({ messageClass: 0, method: 1, transactionId: new Uint8Array(12) }).serialize();
    expect(classifyDatagram(stun)).toBe("stun");
    expect(classifyDatagram(new ChannelData(0x4abc, Uint8Array.of(1)).serialize())).toBe("channel-data");
    expect(classifyDatagram(Uint8Array.of(22, 0xfe, 0xfd, 0))).toBe("dtls");
    expect(classifyDatagram(Uint8Array.of(0x80, 96, 0, 1))).toBe("rtp");
    expect(classifyDatagram(Uint8Array.of(17, 0, 0, 0))).toBe("zrtp");
    expect(classifyDatagram(Uint8Array.of(1, 1, 0, 0))).toBe("unknown"); // no magic cookie
    expect(classifyDatagram(Uint8Array.of(200))).toBe("unknown");
    expect(classifyDatagram(new Uint8Array(0))).toBe("unknown");
  });

  it("fuzz: malformed ChannelData throws MalformedPacketError only; parsed ones round-trip", () => {
    const r = fuzz<ChannelData>(
      {
        parse: (b) => ChannelData.parse(b),
        serialize: (c) => c.serialize(),
        valid: (rng) => new ChannelData(rng.int(0x4000, 0x4fff), rng.fill(new Uint8Array(rng.int(0, 300)))).serialize(),
      },
      20_000,
      0x4000,
    );
    expect(r.parsed).toBeGreaterThan(5000);
    expect(r.rejected).toBeGreaterThan(2000);
  });
});
