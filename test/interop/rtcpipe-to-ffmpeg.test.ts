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
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import { startPeer, startRtcpipe, freeUdpPorts, tempDir, testKey, toolsAvailable, waitUdpPort, type StreamUnderTest, expectReceivedFromRtcpipe } from "./interop-harness.js";

const run = toolsAvailable("rtcpipe → ffmpeg", ["ffmpeg"]);
const FRAMES = 75;
const AUDIO_S = 3;

const matrix: StreamUnderTest[] = [];
for (const srtp of ["none", "AES_CM_128_HMAC_SHA1_80"] as const) for (const codec of ["vp8", "vp9", "opus"] as const) matrix.push({ codec, srtp });
// Two temporal layers (RFC 7741 4.2 TID/TL0PICIDX/Y/N in every descriptor): every frame still decodes.
matrix.push({ codec: "vp8", srtp: "none", temporalLayers: 2 });
// 60 ms of Opus per packet (three 20 ms frames, RFC 6716 3.2.5 code 3).
matrix.push({ codec: "opus", srtp: "none", audioPtimeMs: 60 });

describe.skipIf(!run)("rtcpipe send → ffmpeg receive (SDP from rtcpipe)", () => {
  matrix.forEach((s, k) => {
    it(`${s.codec}${s.temporalLayers === 2 ? " with 2 temporal layers" : ""}${s.audioPtimeMs === 60 ? " in 60 ms packets" : ""} over ${s.srtp === "none" ? "RTP" : `SRTP ${s.srtp}`}`, { timeout: 40_000 }, async () => {
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
      if (video) args.push("--video", s.codec, "--pt", String(pt), "--size", "320x240", "--fps", "30", "--bitrate", "800k", "--frames", String(FRAMES), "--temporal-layers", String(s.temporalLayers ?? 1));
      else args.push("--video", "none", "--audio", "opus", "--audio-ssrc", String(ssrc), "--audio-pt", String(pt), "--duration", String(AUDIO_S), "--audio-ptime", String(s.audioPtimeMs ?? 20));
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

      expectReceivedFromRtcpipe(`rtcpipe→ffmpeg ${video ? s.codec : "opus"}/${s.srtp}`, out, video ? { videoFrames: summary.video!.framesEncoded } : { audioFrames: summary.audio!.framesEncoded });
    });
  });
});
