import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { TransportFeedbackGenerator } from "../../src/congestion/transport-feedback-generator.js";
import { TransportFeedback } from "../../src/rtcp/transport-feedback.js";

/** Every (16-bit seq → receive time) the feedbacks report, after a serialize/parse trip. */
function decode(fbs: TransportFeedback[]): { seq: number; rx: number | undefined }[] {
  const out: { seq: number; rx: number | undefined }[] = [];
  for (const fb of fbs) TransportFeedback.parse(fb.serialize()).forEachPacket((seq, _i, rx) => out.push({ seq, rx }));
  return out;
}

describe("TransportFeedbackGenerator (draft-holmer-rmcat-transport-wide-cc-extensions-01, libwebrtc RemoteEstimatorProxy)", () => {
  it("reports arrivals and the losses between them once per interval, feedback count incrementing", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1, mediaSsrc: 2 });
    for (const [s, t] of [[10, 1000], [11, 2000], [13, 4000]] as const) g.onPacketReceived(s, t);
    const first = g.tick(5000);
    expect(first).toHaveLength(1);
    expect(first[0]!.feedbackPacketCount).toBe(0);
    expect(decode(first)).toEqual([{ seq: 10, rx: 1000 }, { seq: 11, rx: 2000 }, { seq: 12, rx: undefined }, { seq: 13, rx: 4000 }]);
    g.onPacketReceived(14, 6000);
    expect(g.tick(50_000)).toEqual([]); // 100 ms interval not over
    const second = g.tick(105_000);
    expect(second[0]!.feedbackPacketCount).toBe(1);
    expect(decode(second)).toEqual([{ seq: 14, rx: 6000 }]);
    expect(g.tick(300_000)).toEqual([]); // nothing new
  });

  it("interval: a 68-byte report takes 5% of the bitrate, clamped to 50..250 ms (libwebrtc OnBitrateChanged)", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    expect(g.feedbackIntervalUs).toBe(100_000);
    g.setBitrate(100_000); // 5 kbps for feedback: 544 bits / 5000 bps = 108.8 ms
    expect(g.feedbackIntervalUs).toBe(108_800);
    g.setBitrate(10_000_000);
    expect(g.feedbackIntervalUs).toBe(50_000);
    g.setBitrate(10_000);
    expect(g.feedbackIntervalUs).toBe(250_000);
    g.setBitrate(NaN);
    expect(g.feedbackIntervalUs).toBe(250_000);
  });

  it("reordering: a late packet already reported lost is reported again, now received; duplicates are ignored", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    g.onPacketReceived(100, 1000);
    g.onPacketReceived(102, 3000);
    expect(decode(g.tick(0)).map((p) => p.rx)).toEqual([1000, undefined, 3000]);
    g.onPacketReceived(101, 120_000); // late
    g.onPacketReceived(103, 121_000);
    g.onPacketReceived(103, 122_000); // duplicate
    expect(decode(g.tick(200_000))).toEqual([{ seq: 101, rx: 120_000 }, { seq: 102, rx: 3000 }, { seq: 103, rx: 121_000 }]);
    expect(g.stats()).toMatchObject({ reordered: 1, duplicates: 1, packetsReceived: 4 });
  });

  it("crosses the 16-bit wrap with one unwrapper: 65534 .. 1 in one feedback", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    for (const [i, s] of [65534, 65535, 0, 1].entries()) g.onPacketReceived(s, 1000 + i * 1000);
    const fbs = g.tick(10_000);
    expect(fbs).toHaveLength(1);
    expect(decode(fbs).map((p) => p.seq)).toEqual([65534, 65535, 0, 1]);
  });

  it("a single far jump is ignored; a confirmed one (sender restart) restarts without reporting the gap", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    for (let s = 0; s < 10; s++) g.onPacketReceived(1000 + s, s * 1000);
    g.onPacketReceived(40_000, 10_000); // forged or stray
    g.onPacketReceived(1010, 11_000);
    expect(g.stats().ignoredJumps).toBe(1);
    const a = decode(g.tick(20_000));
    expect(a.map((p) => p.seq)).toEqual(Array.from({ length: 11 }, (_, i) => 1000 + i));
    // Restart: the sender now counts from 30 000, twice in a row.
    g.onPacketReceived(1011, 21_000);
    g.onPacketReceived(30_000, 22_000);
    g.onPacketReceived(30_001, 23_000);
    g.onPacketReceived(30_002, 24_000);
    expect(g.stats().restarts).toBe(1);
    const fbs = g.tick(25_000); // the pending pre-restart feedback comes out even inside the interval
    const got = decode(fbs);
    expect(got).toEqual([{ seq: 1011, rx: 21_000 }]);
    const after = decode(g.tick(200_000));
    expect(after).toEqual([{ seq: 30_000, rx: 22_000 }, { seq: 30_001, rx: 23_000 }, { seq: 30_002, rx: 24_000 }]);
    expect(after.length + got.length).toBeLessThan(10);
  });

  it("a 2500-packet outage is reported in a few run-length chunks; a restart to lower numbers is confirmed like a forward one", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    g.onPacketReceived(100, 0);
    g.onPacketReceived(2600, 2_500_000);
    const [fb] = g.tick(2_500_000);
    expect(fb!.packetStatusCount).toBe(2501);
    expect(fb!.chunkCount).toBeLessThanOrEqual(3);
    expect(fb!.byteLength).toBeLessThanOrEqual(32);
    // 50 is 2550 behind: within restartGap, so an old packet, not a restart.
    g.onPacketReceived(50, 2_600_000);
    expect(g.stats()).toMatchObject({ restarts: 0, tooOld: 1 });
    // A sender at 20 000 restarts at 50: backwards by more than restartGap, confirmed by 51.
    const h = new TransportFeedbackGenerator({ senderSsrc: 1 });
    h.onPacketReceived(20_000, 0);
    h.onPacketReceived(20_001, 1000);
    h.tick(1000);
    h.onPacketReceived(50, 2_600_000);
    h.onPacketReceived(51, 2_601_000);
    expect(h.stats()).toMatchObject({ restarts: 1, tooOld: 0, reordered: 0 });
    expect(decode(h.tick(2_700_000))).toEqual([{ seq: 50, rx: 2_600_000 }, { seq: 51, rx: 2_601_000 }]);
  });

  it("bounded memory: 200k packets with 10% loss and no ticks keep only the history; old arrivals are too old", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1, maxHistoryPackets: 1024 });
    let recorded = 0;
    for (let s = 0; s < 200_000; s++) {
      if (s % 10 === 3) continue;
      g.onPacketReceived(s & 0xffff, s * 100);
      recorded++;
    }
    g.onPacketReceived((200_000 - 2000) & 0xffff, 1e9);
    const st = g.stats();
    expect(st.tooOld).toBe(1);
    const fbs = g.tick(2e9);
    const covered = fbs.reduce((n, fb) => n + fb.packetStatusCount, 0);
    expect(covered).toBeLessThanOrEqual(1024);
    expect(covered).toBeGreaterThan(1000);
    expect(st.unreportedDropped).toBeGreaterThan(recorded - 1024);
  });

  it("validates options with InvalidOptionError", () => {
    expect(() => new TransportFeedbackGenerator({ senderSsrc: -1 })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedbackGenerator({ senderSsrc: 1, minIntervalUs: 100_000, maxIntervalUs: 50_000 })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedbackGenerator({ senderSsrc: 1, maxHistoryPackets: 10 })).toThrow(InvalidOptionError);
    expect(() => new TransportFeedbackGenerator({ senderSsrc: 1, bandwidthFraction: 2 })).toThrow(InvalidOptionError);
  });

  it("non-finite arrival times are counted and ignored", () => {
    const g = new TransportFeedbackGenerator({ senderSsrc: 1 });
    g.onPacketReceived(1, NaN);
    g.onPacketReceived(2, Infinity);
    expect(g.stats().invalid).toBe(2);
    expect(g.tick(0)).toEqual([]);
  });
});
