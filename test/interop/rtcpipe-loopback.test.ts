/**
 * `rtcpipe send` → `rtcpipe receive` over real UDP on loopback, with an attacker socket
 * throwing malformed datagrams and forged SRTP/SRTCP packets (right SSRC, bad tag) at both
 * receiver ports during the stream. The receiver must decode the real stream, count what it
 * dropped (malformedDropped, srtpAuthFailures), stop on the BYE, and never crash.
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ReceiveSummary } from "../../src/cli/receive-command.js";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { psnr } from "../../src/metrics/psnr.js";
import { SeededRandom } from "../../src/util/seeded-random.js";
import { freeUdpPorts, readY4m, startRtcpipe, tempDir, testKey, waitUdpPort } from "./interop-harness.js";

const FRAMES = 45;

describe("rtcpipe send → rtcpipe receive under attack", () => {
  for (const [k, suite] of (["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] as const).entries()) {
    it(`VP8 over SRTP ${suite}: forged and malformed packets are dropped and counted`, { timeout: 40_000 }, async () => {
      const port = await freeUdpPorts();
      const dir = tempDir(`loop-${k}`);
      const key = Buffer.from(testKey(suite === "AEAD_AES_128_GCM" ? 28 : 30, 200 + k)).toString("base64");
      const ssrc = 0x50000 + k;
      const summaryFile = join(dir, "summary.json");
      const out = join(dir, "rx.y4m");
      const rx = startRtcpipe(["receive", "--port", String(port), "--video", "vp8", "--srtp", suite, "--key", key, "--out-video", out, "--summary", summaryFile, "--timeout", "20"], 30);
      await waitUdpPort(port, 15_000, rx);
      await waitUdpPort(port + 1, 5_000, rx);

      const attacker = createSocket("udp4");
      await new Promise<void>((r) => attacker.bind(0, "127.0.0.1", () => r()));
      const rnd = new SeededRandom(7);
      let forged = 0;
      let garbage = 0;
      const attack = setInterval(() => {
        // Malformed: too short for SRTP, or not RTP version 2.
        const g = new Uint8Array(1 + Math.floor(rnd.next() * 20)).map(() => Math.floor(rnd.next() * 256));
        g[0] = g[0]! & 0x3f;
        attacker.send(g, port, "127.0.0.1");
        garbage++;
        // Forged SRTP: a valid RTP header with the stream's SSRC, random payload and tag.
        const f = new Uint8Array(200).map(() => Math.floor(rnd.next() * 256));
        f[0] = 0x80;
        f[1] = 96;
        new DataView(f.buffer).setUint32(8, ssrc);
        attacker.send(f, port, "127.0.0.1");
        // Forged SRTCP: an SR header with random body, to the RTCP port.
        const c = new Uint8Array(60).map(() => Math.floor(rnd.next() * 256));
        c[0] = 0x80;
        c[1] = 200;
        c[2] = 0;
        c[3] = 6;
        attacker.send(c, port + 1, "127.0.0.1");
        forged += 2;
      }, 40);
      const tx = await startRtcpipe(["send", "--to", `127.0.0.1:${port}`, "--size", "320x240", "--frames", String(FRAMES), "--ssrc", String(ssrc), "--srtp", suite, "--key", key, "--json"], 30).done;
      clearInterval(attack);
      attacker.close();
      expect(tx.code, tx.stderr).toBe(0);
      const r = await rx.done;
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as ReceiveSummary;
      const s = summary.streams[0]!;
      console.log(`loopback ${suite}: decoded ${summary.videoFramesDecoded}/${FRAMES}, ${summary.srtpAuthFailures} auth failures + ${s.srtpReplayed} replays (${forged} forged sent), ${summary.malformedDropped} malformed dropped (${garbage} sent), stopped by ${summary.stoppedBy}`);
      expect(summary.stoppedBy).toBe("bye");
      expect(summary.videoFramesDecoded).toBeGreaterThanOrEqual(Math.floor(0.9 * FRAMES));
      // A forged packet whose random sequence number falls behind the replay window is
      // rejected as a replay before its tag is checked (RFC 3711 3.3.2): count both.
      expect(summary.srtpAuthFailures).toBeGreaterThan(0);
      expect(summary.srtpAuthFailures + s.srtpReplayed).toBeGreaterThanOrEqual(Math.floor(0.9 * forged));
      expect(summary.malformedDropped).toBeGreaterThanOrEqual(Math.floor(0.8 * garbage));
      expect(s.errors).toBe(0);
      const pattern = new TestPatternSource({ width: 320, height: 240, fps: 30 });
      const frames = readY4m(out);
      for (const f of frames) {
        const idx = pattern.readFrameIndex(f);
        expect(idx).toBeGreaterThanOrEqual(0);
        expect(psnr(f, pattern.frameAt(idx)).average).toBeGreaterThan(25);
      }
    });
  }
});

describe("rtcpipe send → rtcpipe receive through the SDP", () => {
  it("VP9 + Opus over SRTP, receiver configured only by the sender's --sdp file", { timeout: 40_000 }, async () => {
    const port = await freeUdpPorts();
    const dir = tempDir("loop-sdp");
    const sdp = join(dir, "session.sdp");
    const key = Buffer.from(testKey(30, 9)).toString("base64");
    const summaryFile = join(dir, "summary.json");
    const send = ["send", "--to", `127.0.0.1:${port}`, "--video", "vp9", "--audio", "opus", "--size", "320x240", "--frames", "60", "--srtp", "AES_CM_128_HMAC_SHA1_80", "--key", key, "--sdp", sdp, "--json"];
    const w = await startRtcpipe([...send, "--sdp-only"], 20).done;
    expect(w.code, w.stderr).toBe(0);
    expect(readFileSync(sdp, "utf8")).toContain(`m=audio ${port + 2} RTP/SAVP 111\r\n`);
    const rx = startRtcpipe(["receive", "--sdp", sdp, "--out-video", join(dir, "rx.y4m"), "--out-audio", join(dir, "rx.wav"), "--summary", summaryFile, "--timeout", "20"], 30);
    await waitUdpPort(port + 2, 15_000, rx);
    const tx = await startRtcpipe(send, 30).done;
    expect(tx.code, tx.stderr).toBe(0);
    const r = await rx.done;
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as ReceiveSummary;
    console.log(`loopback sdp: video ${summary.videoFramesDecoded}/60 frames, audio ${summary.audioFramesDecoded}/100 frames, lost ${summary.lost}, stopped by ${summary.stoppedBy}`);
    expect(summary.stoppedBy).toBe("bye");
    expect(summary.videoFramesDecoded).toBeGreaterThanOrEqual(54);
    expect(summary.audioFramesDecoded).toBeGreaterThanOrEqual(90);
    expect(summary.srtpAuthFailures).toBe(0);
  });
});
