/**
 * ffmpeg 5.1 RECEIVES what `rtcpipe send` sends, through the SDP rtcpipe writes
 * (`--sdp FILE --sdp-only`, then the same command without --sdp-only): VP8, VP9, Opus over
 * plain RTP and SRTP AES_CM_128_HMAC_SHA1_80. ffmpeg ends its input on our RTCP BYE.
 *
 * Named exclusion — AEAD_AES_128_GCM: ffmpeg 5.1's SRTP (libavformat/srtp.c) implements only
 * AES_CM_128_HMAC_SHA1_80/_32 ("Invalid argument" for AEAD suites, see the interop README),
 * so ffmpeg cannot receive a GCM stream; GCM is covered against GStreamer instead.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { psnr } from "../../src/metrics/psnr.js";
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import { matchAudio, readWavMono, readY4m, speechSamples, startPeer, startRtcpipe, freeUdpPorts, tempDir, testKey, toolsAvailable, waitUdpPort, type StreamUnderTest } from "./interop-harness.js";

const run = toolsAvailable("rtcpipe → ffmpeg", ["ffmpeg"]);
const FRAMES = 75;
const AUDIO_S = 3;
const MIN_MEAN_PSNR = 30;
const MIN_FRAME_PSNR = 22;

const matrix: StreamUnderTest[] = [];
for (const srtp of ["none", "AES_CM_128_HMAC_SHA1_80"] as const) for (const codec of ["vp8", "vp9", "opus"] as const) matrix.push({ codec, srtp });

describe.skipIf(!run)("rtcpipe send → ffmpeg receive (SDP from rtcpipe)", () => {
  matrix.forEach((s, k) => {
    it(`${s.codec} over ${s.srtp === "none" ? "RTP" : `SRTP ${s.srtp}`}`, { timeout: 40_000 }, async () => {
      const port = await freeUdpPorts();
      const dir = tempDir(`ff-rx-${s.codec}-${k}`);
      const video = s.codec !== "opus";
      const pt = video ? (s.codec === "vp8" ? 96 : 98) : 111;
      const ssrc = 0x20000 + k;
      const suite = s.srtp === "none" ? undefined : SRTP_SUITES[s.srtp];
      const key = suite ? testKey(suite.keyLength + suite.saltLength, 50 + k) : undefined;
      const sdp = join(dir, "stream.sdp");
      const out = join(dir, video ? "rx.y4m" : "rx.wav");
      const args = ["send", "--to", `127.0.0.1:${port}`, "--ssrc", String(ssrc), "--sdp", sdp, "--json"];
      if (video) args.push("--video", s.codec, "--pt", String(pt), "--size", "320x240", "--fps", "30", "--bitrate", "800k", "--frames", String(FRAMES));
      else args.push("--video", "none", "--audio", "opus", "--audio-ssrc", String(ssrc), "--audio-pt", String(pt), "--duration", String(AUDIO_S));
      if (suite) args.push("--srtp", s.srtp, "--key", Buffer.from(key!).toString("base64"));

      const sdpOnly = await startRtcpipe([...args, "--sdp-only"], 20).done;
      expect(sdpOnly.code, sdpOnly.stderr).toBe(0);
      const output = video
        ? ["-map", "0:v", "-fps_mode", "passthrough", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", out]
        : ["-map", "0:a", "-ac", "1", "-ar", "48000", "-c:a", "pcm_s16le", out];
      const ff = startPeer("ffmpeg", ["-nostdin", "-loglevel", "warning", "-protocol_whitelist", "file,udp,rtp,srtp", "-i", sdp, ...output], 30);
      await waitUdpPort(port, 10_000, ff);
      const sender = await startRtcpipe(args, 30).done;
      expect(sender.code, sender.stderr).toBe(0);
      const summary = JSON.parse(sender.stdout) as { video?: { framesEncoded: number }; audio?: { framesEncoded: number } };
      // ffmpeg stops on the BYE; give it a moment, then SIGINT (it still finishes the file).
      const rx = await Promise.race([ff.done, new Promise((r) => setTimeout(r, 3000)).then(() => ff.stop())]);
      expect(rx.code, `ffmpeg: ${rx.stderr}`).toBe(0);

      if (video) {
        const sent = summary.video!.framesEncoded;
        const pattern = new TestPatternSource({ width: 320, height: 240, fps: 30 });
        const frames = readY4m(out);
        const seen = new Set<number>();
        const values: number[] = [];
        for (const f of frames) {
          const idx = pattern.readFrameIndex(f);
          if (idx < 0 || idx >= sent) continue;
          seen.add(idx);
          values.push(Math.min(99, psnr(f, pattern.frameAt(idx)).average));
        }
        const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
        console.log(`rtcpipe→ffmpeg ${s.codec}/${s.srtp}: sent ${sent}, decoded ${frames.length}, distinct ${seen.size}, PSNR mean ${mean.toFixed(2)} min ${Math.min(...values).toFixed(2)} dB`);
        expect(seen.size).toBeGreaterThanOrEqual(Math.floor(0.9 * sent));
        expect(mean).toBeGreaterThan(MIN_MEAN_PSNR);
        expect(Math.min(...values)).toBeGreaterThan(MIN_FRAME_PSNR);
      } else {
        const sentFrames = summary.audio!.framesEncoded;
        const m = matchAudio(readWavMono(out), speechSamples(sentFrames));
        console.log(`rtcpipe→ffmpeg opus/${s.srtp}: sent ${(sentFrames * 0.02).toFixed(2)} s, decoded ${m.durationS.toFixed(2)} s, ${m.rmsDbfs.toFixed(1)} dBFS, envelope r=${m.envelopeCorrelation.toFixed(3)} at lag ${(m.lagS * 1000).toFixed(0)} ms`);
        expect(m.durationS).toBeGreaterThanOrEqual(0.9 * sentFrames * 0.02);
        expect(m.rmsDbfs).toBeGreaterThan(-40);
        expect(m.envelopeCorrelation).toBeGreaterThan(0.8);
      }
    });
  });
});
