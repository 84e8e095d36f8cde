import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { KeyframeRequestLimiter } from "../../src/feedback/keyframe-request-limiter.js";
import { KeyframeRequester } from "../../src/feedback/keyframe-requester.js";
import { FullIntraRequest } from "../../src/rtcp/full-intra-request.js";
import { PictureLossIndication } from "../../src/rtcp/picture-loss-indication.js";

const MS = 1000;

describe("KeyframeRequester (RFC 4585 6.3.1 PLI, RFC 5104 4.3.1 FIR)", () => {
  it("sends at most one PLI per max(200 ms, 1.5·RTT) (Peer.requestKeyframeIfNeeded rule)", () => {
    const k = new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2 });
    const sentAt: number[] = [];
    for (let t = 0; t <= 1000; t += 10) if (k.request(t * MS, 100 * MS) !== undefined) sentAt.push(t);
    expect(sentAt).toEqual([0, 200, 400, 600, 800, 1000]);
    const slow = new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2 });
    const slowAt: number[] = [];
    for (let t = 0; t <= 1000; t += 10) if (slow.request(t * MS, 300 * MS) !== undefined) slowAt.push(t);
    expect(slowAt).toEqual([0, 450, 900]); // 1.5 · 300 ms
    const pli = new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2 }).request(0, NaN);
    expect(pli).toBeInstanceOf(PictureLossIndication);
    expect(pli).toMatchObject({ senderSsrc: 1, mediaSsrc: 2 });
  });

  it("FIR: a new command increments the sequence number mod 256, a repetition keeps it (RFC 5104 4.3.1.2)", () => {
    const k = new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2, method: "fir", initialFirSequenceNumber: 255 });
    const fir = (t: number): FullIntraRequest => k.request(t * MS, 0) as FullIntraRequest;
    const a = fir(0);
    expect(a).toBeInstanceOf(FullIntraRequest);
    expect(a.entries).toEqual([{ ssrc: 2, sequenceNumber: 255 }]);
    expect(a.mediaSsrc).toBe(0);
    expect(fir(200).entries[0]!.sequenceNumber).toBe(255); // repetition
    k.keyframeReceived();
    expect(fir(400).entries[0]!.sequenceNumber).toBe(0); // new command, wrapped
    expect(k.stats()).toEqual({ pliSent: 0, firSent: 3, suppressed: 0 });
  });

  it("rejects bad options", () => {
    expect(() => new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2, method: "x" as "pli" })).toThrow(InvalidOptionError);
    expect(() => new KeyframeRequester({ senderSsrc: 1, mediaSsrc: 2, initialFirSequenceNumber: 256 })).toThrow(InvalidOptionError);
  });
});

describe("KeyframeRequestLimiter (sender side)", () => {
  it("makes at most one keyframe per 250 ms under a PLI storm (Peer.onPictureLoss rule)", () => {
    const l = new KeyframeRequestLimiter();
    let made = 0;
    for (let t = 0; t < 1000; t++) if (l.onRequest(t * MS)) made++;
    expect(made).toBe(4);
    expect(l.stats()).toMatchObject({ requests: 1000, accepted: 4, rateLimited: 996 });
  });

  it("ignores a FIR repeating its sender's last sequence number; honours a new one; ignores other SSRCs (RFC 5104 4.3.1.2)", () => {
    const l = new KeyframeRequestLimiter();
    const fir = (seq: number, ssrc = 7): FullIntraRequest => new FullIntraRequest(99, [{ ssrc, sequenceNumber: seq }]);
    expect(l.onFullIntraRequest(fir(1), 7, 0)).toBe(true);
    expect(l.onFullIntraRequest(fir(1), 7, 300 * MS)).toBe(false); // repetition
    expect(l.onFullIntraRequest(fir(2, 8), 7, 300 * MS)).toBe(false); // not for us
    expect(l.onFullIntraRequest(fir(2), 7, 310 * MS)).toBe(true);
    // A new command that hits the rate limit is not remembered: its repetition still counts.
    expect(l.onFullIntraRequest(fir(3), 7, 320 * MS)).toBe(false);
    expect(l.onFullIntraRequest(fir(3), 7, 600 * MS)).toBe(true);
    expect(l.stats().firRepeats).toBe(1);
  });
});
