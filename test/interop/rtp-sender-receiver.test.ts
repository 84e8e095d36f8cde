/**
 * RtpSender → RtpReceiver in process (no sockets, no peers): the one-way streamers under
 * reordering, duplication, loss, truncation and garbage, with SRTP; plus the VP9 descriptor
 * rewrite used for ffmpeg 5.1 and the CLI's usage errors and exit codes.
 */
import { describe, expect, it } from "vitest";
import type { EncodedFrame } from "../../src/codec/encoded-frame.js";
import { OpusEncoder } from "../../src/codec/opus-encoder.js";
import { VpxEncoder } from "../../src/codec/vpx-encoder.js";
import { SpeechLikeSource } from "../../src/media/speech-like-source.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { psnr } from "../../src/metrics/psnr.js";
import { RtpReceiver } from "../../src/session/rtp-receiver.js";
import { flexibleToSimpleVp9, RtpSender } from "../../src/session/rtp-sender.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { freeUdpPorts, startRtcpipe } from "./interop-harness.js";

const SRTP = { suite: "AES_CM_128_HMAC_SHA1_80" as const, masterKey: new Uint8Array(16).fill(3), masterSalt: new Uint8Array(14).fill(4) };

describe("RtpSender → RtpReceiver (in process)", () => {
  it("VP8 over SRTP survives reordering, duplicates and garbage; loss is counted", async () => {
    const rnd = new SeededRandom(3);
    const pattern = new TestPatternSource({ width: 320, height: 240 });
    const enc = await VpxEncoder.create({ codec: "vp8", width: 320, height: 240, bitrateBps: 600_000, keyframeIntervalFrames: 15, dropFrameThreshold: 0 });
    const wire: Uint8Array[] = [];
    const rtcp: Uint8Array[] = [];
    const sender = new RtpSender({ codec: "vp8", payloadType: 96, ssrc: 1234, rtp: { send: (d) => wire.push(d.slice()) }, rtcp: { send: (d) => rtcp.push(d.slice()) }, srtp: SRTP, initialSequenceNumber: 65530, timestampOffset: 0xfffff000 });
    enc.pipe({ push: (f: EncodedFrame, now: number) => sender.sendFrame(f, now) });
    for (let i = 0; i < 30; i++) {
      const f = pattern.frameAt(i);
      enc.push(f, f.captureTimeUs);
      sender.tick(f.captureTimeUs, 1.7e15 + f.captureTimeUs);
    }
    sender.end(1e6, 1.7e15 + 1e6);
    enc.close();
    const decoded: number[] = [];
    let worst = Infinity;
    const receiver = await RtpReceiver.create({
      codec: "vp8",
      payloadType: 96,
      srtp: SRTP,
      onVideoFrame: (f) => {
        const idx = pattern.readFrameIndex(f);
        decoded.push(idx);
        worst = Math.min(worst, psnr(f, pattern.frameAt(idx)).average);
      },
    });
    // Swap neighbours, duplicate some, drop one packet near the end, add garbage.
    const dropAt = wire.length - 5;
    const order: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i++) {
      if (i === dropAt) continue;
      order.push(wire[i]!);
      if (rnd.next() < 0.1) order.push(wire[i]!);
      if (rnd.next() < 0.1) order.push(new Uint8Array(Math.floor(rnd.next() * 40)).map(() => Math.floor(rnd.next() * 256)));
    }
    for (let i = 0; i + 1 < order.length; i += 7) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
    let now = 0;
    for (const p of order) receiver.receiveRtp(p, (now += 1000));
    for (const c of rtcp) receiver.receiveRtcp(c, now);
    receiver.receiveRtcp(new Uint8Array([0x80, 200, 0, 1, 1, 2]), now);
    receiver.flush(now);
    const s = receiver.stats();
    receiver.close();
    expect(s.lost).toBe(1);
    expect(s.byeReceived).toBe(1);
    expect(s.senderReports).toBeGreaterThanOrEqual(2);
    expect(s.srtpReplayed).toBeGreaterThan(0); // the duplicates
    expect(s.malformedDropped + s.srtpAuthFailures).toBeGreaterThan(0);
    expect(s.errors).toBe(0);
    // The first two packets are swapped; the reorder buffer waits a moment at the start, so the
    // first keyframe still decodes. Frames after the lost packet near the end do not.
    expect(decoded[0]).toBe(0);
    expect(decoded.length).toBeGreaterThanOrEqual(20);
    expect(decoded).toEqual([...decoded].sort((a, b) => a - b));
    expect(worst).toBeGreaterThan(25); // the first keyframes are the weakest frames
  });

  it("Opus: a lost packet is concealed so the decoded audio keeps its duration", async () => {
    const src = new SpeechLikeSource();
    const enc = await OpusEncoder.create();
    const wire: Uint8Array[] = [];
    const sender = new RtpSender({ codec: "opus", payloadType: 111, ssrc: 9, rtp: { send: (d) => wire.push(d.slice()) } });
    enc.pipe({ push: (f: EncodedFrame, now: number) => sender.sendFrame(f, now) });
    for (let i = 0; i < 50; i++) enc.push(src.frameAt(i), i * 20_000);
    enc.close();
    let frames = 0;
    let concealed = 0;
    const receiver = await RtpReceiver.create({ codec: "opus", onAudioFrame: (f) => {
      frames++;
      if (f.concealed) concealed++;
    } });
    wire.forEach((p, i) => {
      if (i !== 20 && i !== 21) receiver.receiveRtp(p, i * 20_000);
      receiver.tick(i * 20_000 + 10_000);
    });
    receiver.flush(1e6);
    expect(receiver.stats().lost).toBe(2);
    expect(frames).toBe(50);
    expect(concealed).toBe(2);
    receiver.close();
  });

  it("rewrites a flexible-mode VP9 descriptor without P_DIFF (RFC 9628 non-flexible, no L)", () => {
    // I=1 P=1 F=1 B=1, 15-bit picture id 0x8123, P_DIFF 1 with N=0, then payload.
    const flex = new Uint8Array([0xd8, 0x81, 0x23, 0x02, 0xaa, 0xbb]);
    expect(Array.from(flexibleToSimpleVp9(flex))).toEqual([0xc8, 0x81, 0x23, 0xaa, 0xbb]);
    // Keyframe (P=0): only F is cleared.
    expect(Array.from(flexibleToSimpleVp9(new Uint8Array([0x9a, 0x05, 0x10])))).toEqual([0x8a, 0x05, 0x10]);
    // Non-flexible input is left alone.
    const plain = new Uint8Array([0x88, 0x05, 0x10]);
    expect(flexibleToSimpleVp9(plain)).toBe(plain);
  });
});

describe("rtcpipe send/receive usage errors", () => {
  const cases: [string, number, string[], RegExp][] = [
    ["unknown SRTP suite", 2, ["send", "--to", "127.0.0.1:5000", "--srtp", "NOPE", "--key", "AAAA"], /NOPE|Allowed choices/i],
    ["key of the wrong length", 2, ["send", "--to", "127.0.0.1:5000", "--srtp", "AEAD_AES_128_GCM", "--key", Buffer.alloc(30).toString("base64")], /Cannot use --key: key\|\|salt has 30 bytes, allowed is 28/],
    ["bad --to", 2, ["send", "--to", "nowhere"], /Cannot use --to "nowhere": allowed is HOST:PORT/],
    ["receive without a stream", 2, ["receive", "--port", "5000"], /add --video vp8\|vp9 or --audio opus/],
    ["bad SDP file", 3, ["receive", "--sdp", "/dev/null"], /Cannot read SDP \/dev\/null: it is empty/],
    ["nothing arrives", 1, ["receive", "--port", "PORT", "--audio", "opus", "--timeout", "0.3"], /no RTP packet arrived/],
  ];
  it.each(cases)("%s → exit %i", { timeout: 20_000 }, async (_name, code, args, re) => {
    const port = String(await freeUdpPorts(2));
    const r = await startRtcpipe(args.map((a) => (a === "PORT" ? port : a)), 15).done;
    expect(r.stderr).toMatch(re);
    expect(r.code).toBe(code);
  });
});
