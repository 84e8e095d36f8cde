import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/errors.js";
import { runCall } from "../../src/session/call.js";
import type { Peer } from "../../src/session/peer.js";

// Small frames keep the codec cost low; the media path is the same at any size. These tests
// measure the media path at a fixed rate, so adaptive bitrate is off (it has its own tests in
// test/session/bandwidth-fixtures.test.ts).
const small = { width: 160, height: 120, videoBitrateBps: 150_000, modelProcessingTime: false, abr: false } as const;

describe("Call over the emulated network (virtual clock)", () => {
  it("a clean 50 ms path: every frame decodes, latency is the path delay plus little, RTT from RTCP is 2x delay", async () => {
    const r = await runCall({ ...small, durationS: 4, delayMs: 50, seed: 3 });
    const v = r.video!;
    const a = r.audio!;
    // Two directions x 4 s x 30 fps = 240 frames captured; the encoder may drop a few at start.
    expect(v.framesCaptured).toBe(240);
    expect(v.framesDecoded).toBeGreaterThanOrEqual(v.framesSent - 2);
    expect(v.framesSent).toBeGreaterThan(220);
    // The test pattern (zone plate, scrolling glyphs) is hard to code: 150 kbps at 160x120 gives
    // ~21 dB; a decoded frame compared with the wrong source frame gives ~11 dB.
    expect(v.psnrDb.mean).toBeGreaterThan(18);
    expect(v.freeze.count).toBe(0);
    expect(v.packets.lostOnWire).toBe(0);
    // No jitter: video waits for nothing beyond the 50 ms path (plus a packet or two of spread).
    expect(v.latencyMs.p50).toBeGreaterThanOrEqual(50);
    expect(v.latencyMs.p95).toBeLessThan(80);
    expect(a.concealedPct).toBeLessThan(1);
    expect(a.latencyMs.p50).toBeGreaterThanOrEqual(50);
    // NetEQ starts at an 80 ms target (libwebrtc's start delay) and lowers it over ~6 s.
    expect(a.latencyMs.p95).toBeLessThan(50 + 80 + 30);
    expect(r.rtcp.rttMs).toBeGreaterThan(95);
    expect(r.rtcp.rttMs).toBeLessThan(110);
    expect(r.srtp.authFailures).toBe(0);
    expect(r.timeline.t).toHaveLength(4);
  });

  it("a clean path with adaptive bitrate: TWCC feedback flows both ways, the estimate grows from the start rate, latency stays low", async () => {
    const r = await runCall({ ...small, abr: true, durationS: 6, delayMs: 50, seed: 3 });
    const v = r.video!;
    const b = r.bandwidth!;
    expect(b.feedbackPackets).toBeGreaterThan(2 * 6 * 4); // both receivers, at least every 250 ms
    // Nothing limits the path: the estimate rises above the 300 kbps start (probes, +8%/s).
    expect(b.estimateKbpsMean).toBeGreaterThan(300);
    expect(v.framesDecoded).toBeGreaterThanOrEqual(v.framesSent - 2);
    expect(v.freeze.count).toBe(0);
    // Pacing spreads each keyframe at 2.5x the estimate: a few ms at these sizes.
    expect(v.latencyMs.p95).toBeLessThan(120);
    expect(r.audio!.concealedPct).toBeLessThan(1);
    expect(r.timeline.estimateKbps.every((x) => x >= 30)).toBe(true);
  });

  it("10% random loss: the wire loss shows in RTCP's count, audio conceals about that share, the call goes on", async () => {
    const r = await runCall({ ...small, durationS: 5, delayMs: 30, lossPct: 10, seed: 4, nack: false, fec: false });
    const v = r.video!;
    const a = r.audio!;
    expect(v.packets.lostOnWirePct).toBeGreaterThan(5);
    expect(v.packets.lostOnWirePct).toBeLessThan(15);
    // Recovery off (no FEC, no NACK): every lost audio packet is concealed.
    expect(a.concealedPct).toBeGreaterThan(5);
    expect(a.concealedPct).toBeLessThan(16);
    // Without PLI, video decodes again from each periodic keyframe (every 90 frames).
    expect(v.framesDecoded).toBeGreaterThan(20);
  });

  it("a lost reference makes the receiver send PLI (RFC 4585 6.3.1) and the sender a keyframe", async () => {
    // Keyframes only on request: without PLI, video would stay frozen after the first loss.
    // NACK off: with retransmission the lost packets would come back and no PLI would be needed.
    const r = await runCall({ ...small, durationS: 5, delayMs: 30, lossPct: 2, keyframeIntervalFrames: 0, nack: false, seed: 11 });
    expect(r.video!.packets.lostOnWire).toBeGreaterThan(0);
    expect(r.rtcp.pliSent).toBeGreaterThan(0);
    expect(r.rtcp.pliReceived).toBeGreaterThan(0); // RTCP crosses the same lossy path: some PLIs are lost too
    expect(r.rtcp.pliReceived).toBeLessThanOrEqual(r.rtcp.pliSent);
    expect(r.video!.keyframes).toBeGreaterThan(2); // the two first keyframes, and requested ones
    expect(r.video!.framesDecoded).toBeGreaterThan(0.5 * r.video!.framesSent);
  });

  it("10% loss: Generic NACK (RFC 4585 6.2.1) + RTX (RFC 4588) bring lost video packets back", async () => {
    const r = await runCall({ ...small, durationS: 6, delayMs: 50, lossPct: 10, keyframeIntervalFrames: 0, seed: 12, fec: false });
    const v = r.video!;
    expect(v.packets.lostOnWirePct).toBeGreaterThan(6);
    expect(v.nacksSent).toBeGreaterThan(10);
    expect(v.recoveredByRtx).toBeGreaterThan(0.7 * v.packets.lostOnWire);
    // Retransmissions cross the same 10% loss; one retry per RTT gets nearly all back.
    expect(v.packets.lostAfterRecoveryPct).toBeLessThan(1);
    expect(v.rtxOverheadPct).toBeLessThan(20);
    expect(v.fpsDecoded).toBeGreaterThan(25);
  });

  it("10% loss: ULPFEC in RED (RFC 5109, RFC 2198) rebuilds lost video packets without a round trip", async () => {
    const r = await runCall({ ...small, durationS: 6, delayMs: 50, lossPct: 10, keyframeIntervalFrames: 0, seed: 14, nack: false });
    const v = r.video!;
    // FEC starts once the first RTCP report tells the sender about the loss (~1 s in); with one
    // parity per 6 one-packet frames, a loss is recoverable when the other 6 arrive (0.9^6 = 53%).
    // lostOnWire also counts lost FEC packets.
    expect(v.recoveredByFec).toBeGreaterThan(0.2 * v.packets.lostOnWire);
    expect(v.fecOverheadPct).toBeGreaterThan(5);
    expect(v.packets.lostAfterRecovery).toBeLessThan(0.75 * v.packets.lostOnWire);
  });

  it("10% loss: audio RED (RFC 2198) and Opus in-band FEC, switched on by RTCP-reported loss, keep concealment low", async () => {
    const off = await runCall({ ...small, durationS: 8, delayMs: 30, lossPct: 10, seed: 13, fec: false });
    const on = await runCall({ ...small, durationS: 8, delayMs: 30, lossPct: 10, seed: 13 });
    expect(off.audio!.redOverheadPct).toBe(0);
    expect(off.audio!.concealedPct).toBeGreaterThan(6);
    // Redundancy starts after the first RTCP report says the path loses packets (~1 s).
    expect(on.audio!.redOverheadPct).toBeGreaterThan(50);
    expect(on.audio!.concealedPct).toBeLessThan(off.audio!.concealedPct / 3);
    expect(on.audio!.packets.lostAfterRecovery).toBeLessThan(on.audio!.packets.lostOnWire / 3);
  });

  it("jitter grows the playout delay; the same seed gives the same call", async () => {
    const opts = { ...small, durationS: 4, delayMs: 20, jitterMs: 60, seed: 5 };
    const r1 = await runCall(opts);
    const r2 = await runCall(opts);
    expect(r1.video!.latencyMs.p50).toBeGreaterThan(40);
    expect(r1.audio!.concealedPct).toBeLessThan(10);
    expect(r2.video!.latencyMs).toEqual(r1.video!.latencyMs);
    expect(r2.audio!.framesConcealed).toBe(r1.audio!.framesConcealed);
    expect(r2.network).toEqual(r1.network);
  });

  it("VP9 and audio-only calls work", async () => {
    const r = await runCall({ ...small, durationS: 2, video: "vp9", seed: 6 });
    expect(r.video!.framesDecoded).toBeGreaterThan(100);
    expect(r.video!.psnrDb.mean).toBeGreaterThan(18);
    const audioOnly = await runCall({ ...small, durationS: 2, video: "none", seed: 6 });
    expect(audioOnly.video).toBeUndefined();
    expect(audioOnly.audio!.framesDecoded).toBeGreaterThan(150);
  });

  it("60 ms of Opus per packet (RFC 6716 3.2.5 code 3, RFC 7587 4.2): a third of the audio packets and their header bytes, every 20 ms frame still played", async () => {
    let peers: readonly [Peer, Peer] | undefined;
    const run = (audioPacketMs: 20 | 60) => runCall({ ...small, durationS: 4, delayMs: 50, seed: 5, audioPacketMs, onPeers: (p) => void (peers = p) });
    const r20 = await run(20);
    const r60 = await run(60);
    const s60 = peers!.map((p) => p.stats());
    // Every captured 20 ms frame is encoded and played; nothing concealed on a clean path.
    expect(r60.audio!.framesSent).toBe(r20.audio!.framesSent);
    expect(r60.audio!.framesDecoded).toBeGreaterThanOrEqual(r60.audio!.framesSent - 10);
    expect(r60.audio!.concealedPct).toBeLessThan(0.5);
    for (const s of s60) {
      expect(Math.abs(s["audioSend.framePacker.packetsOut"]! - s["audioSend.framePacker.framesIn"]! / 3)).toBeLessThanOrEqual(1);
      expect(s["audioReceive.multiFramePackets"]).toBeGreaterThan(60);
      expect(s["audioReceive.decoder.decodeErrors"]).toBe(0);
    }
    // Fewer RTP packets (a third) and fewer audio bytes on the wire for the same Opus rate.
    expect(r60.audio!.packets.sent).toBeLessThan(r20.audio!.packets.sent * 0.4);
    // The latency grows by the frames waiting for their packet (on average 20 ms), not more.
    expect(r60.audio!.latencyMs.p50).toBeGreaterThan(r20.audio!.latencyMs.p50);
    expect(r60.audio!.latencyMs.p50).toBeLessThan(r20.audio!.latencyMs.p50 + 60);
  });

  it("fails fast on bad options with what is allowed", async () => {
    await expect(runCall({ durationS: -1 })).rejects.toThrow(InvalidOptionError);
    await expect(runCall({ video: "h264" as never })).rejects.toThrow(/allowed is one of vp8, vp9, none/);
    await expect(runCall({ video: "none", audio: "none" })).rejects.toThrow(/at least one media kind/);
    await expect(runCall({ width: 641 })).rejects.toThrow(/even/);
    await expect(runCall({ temporalLayers: 3 as never })).rejects.toThrow(/Cannot use temporalLayers=3: allowed is 1, 2 or "auto"/);
    await expect(runCall({ audioPacketMs: 40 as never })).rejects.toThrow(/Cannot use audioPacketMs=40: allowed is 20 or 60/);
  });
});

describe("Call under hostile input (issue 3, Bad input)", () => {
  it("drops and counts garbage, truncated, forged and replayed datagrams; media keeps flowing", async () => {
    const captured: Uint8Array[] = [];
    const r = await runCall({
      ...small,
      durationS: 3,
      seed: 8,
      onNetwork: (net, clock) => {
        const realSend = net.a.send.bind(net.a);
        // Record A's real packets so some can be replayed later.
        net.a.send = (d: Uint8Array, t?: number) => {
          if (captured.length < 50) captured.push(d.slice());
          realSend(d, t);
        };
        clock.every(10_000, () => {
          const garbage = new Uint8Array(64).fill(0xab);
          realSend(garbage); // not even RTP
          realSend(new Uint8Array([0x80, 96, 0, 1])); // truncated RTP header
          const forged = captured[captured.length - 1]?.slice();
          if (forged) {
            forged[2]! ^= 0x40; // a sequence number not seen yet, so the replay check passes...
            forged[forged.length - 1]! ^= 0xff; // ...and the tag does not verify
            realSend(forged);
          }
          const replayed = captured[0];
          if (replayed) realSend(replayed);
        });
      },
    });
    // 300 injections of each kind over 3 s.
    expect(r.srtp.authFailures).toBeGreaterThan(250);
    expect(r.srtp.replayed).toBeGreaterThan(250);
    expect(r.srtp.malformed).toBeGreaterThan(500);
    expect(r.video!.framesDecoded).toBeGreaterThan(150);
    expect(r.audio!.concealedPct).toBeLessThan(2);
  });
});
