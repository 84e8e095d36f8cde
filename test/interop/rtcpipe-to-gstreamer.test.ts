/**
 * GStreamer 1.22 RECEIVES what `rtcpipe send` sends: VP8, VP9, Opus over plain RTP, SRTP
 * AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM (RFC 7714; GStreamer wants a 28-byte key).
 * Video: the test pattern carries its frame index as a barcode, so every decoded frame is
 * compared with the exact source frame (TestPatternSource.frameAt). Audio: the speech-like
 * signal's envelope must correlate with what opusdec decoded.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TestPatternSource } from "../../src/media/test-pattern-source.js";
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import { gstCaps, startPeer, startRtcpipe, freeUdpPorts, tempDir, testKey, toolsAvailable, waitUdpPort, type StreamUnderTest, expectReceivedFromRtcpipe } from "./interop-harness.js";

const run = toolsAvailable("rtcpipe → GStreamer", ["gst-launch-1.0"]);
const FRAMES = 75; // 2.5 s at 30 fps
const AUDIO_S = 3;
/** Mean PSNR (dB) of decoded frames vs the source at 800 kbps, 320x240. */

const matrix: StreamUnderTest[] = [];
for (const srtp of ["none", "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] as const) for (const codec of ["vp8", "vp9", "opus"] as const) matrix.push({ codec, srtp });
// Two temporal layers (RFC 7741 4.2 TID/TL0PICIDX/Y/N in every descriptor): every frame still decodes.
matrix.push({ codec: "vp8", srtp: "none", temporalLayers: 2 });
// 60 ms of Opus per packet (three 20 ms frames, RFC 6716 3.2.5 code 3).
matrix.push({ codec: "opus", srtp: "none", audioPtimeMs: 60 });

describe.skipIf(!run)("rtcpipe send → GStreamer receive", () => {
  matrix.forEach((s, k) => {
    it(`${s.codec}${s.temporalLayers === 2 ? " with 2 temporal layers" : ""}${s.audioPtimeMs === 60 ? " in 60 ms packets" : ""} over ${s.srtp === "none" ? "RTP" : `SRTP ${s.srtp}`}`, { timeout: 40_000 }, async () => {
      const port = await freeUdpPorts();
      const dir = tempDir(`gst-rx-${s.codec}-${k}`);
      const video = s.codec !== "opus";
      const pt = video ? (s.codec === "vp8" ? 96 : 98) : 111;
      const ssrc = 0x10000 + k;
      const suite = s.srtp === "none" ? undefined : SRTP_SUITES[s.srtp];
      const key = suite ? testKey(suite.keyLength + suite.saltLength, k) : undefined;
      const out = join(dir, video ? "rx.y4m" : "rx.wav");
      const decode = video
        ? // y4menc 1.22 writes vp9dec's padded buffers as they are (wrong frame size): convert
          // through NV12 (lossless for 4:2:0) so it gets a tightly packed I420 buffer.
          [`rtp${s.codec}depay`, "!", `${s.codec}dec`, "!", "videoconvert", "!", "video/x-raw,format=NV12", "!", "videoconvert", "!", "video/x-raw,format=I420", "!", "y4menc"]
        : ["rtpopusdepay", "!", "opusdec", "!", "audioconvert", "!", "audioresample", "!", "audio/x-raw,format=S16LE,rate=48000,channels=1", "!", "wavenc"];
      const gst = startPeer(
        "gst-launch-1.0",
        ["-q", "-e", "udpsrc", "address=127.0.0.1", `port=${port}`, `caps=${gstCaps(s, pt, ssrc, key)}`, "!", ...(suite ? ["srtpdec", "!"] : []), "rtpjitterbuffer", "latency=100", "!", ...decode, "!", "filesink", `location=${out}`],
        30,
      );
      await waitUdpPort(port, 10_000, gst);
      const args = ["send", "--to", `127.0.0.1:${port}`, "--ssrc", String(ssrc), "--json"];
      if (video) args.push("--video", s.codec, "--pt", String(pt), "--size", "320x240", "--fps", "30", "--bitrate", "800k", "--frames", String(FRAMES), "--temporal-layers", String(s.temporalLayers ?? 1));
      else args.push("--video", "none", "--audio", "opus", "--audio-ssrc", String(ssrc), "--audio-pt", String(pt), "--duration", String(AUDIO_S), "--audio-ptime", String(s.audioPtimeMs ?? 20));
      if (suite) args.push("--srtp", s.srtp, "--key", Buffer.from(key!).toString("base64"));
      // VP9 over plain RTP exercises the flexible-mode descriptor (P_DIFF); the SRTP cases the default (simple).
      if (s.codec === "vp9" && s.srtp === "none") args.push("--vp9-mode", "flexible");
      const sender = await startRtcpipe(args, 30).done;
      expect(sender.code, sender.stderr).toBe(0);
      const summary = JSON.parse(sender.stdout) as { video?: { framesEncoded: number }; audio?: { framesEncoded: number } };
      await new Promise((r) => setTimeout(r, 400)); // jitter buffer latency + decode
      const rx = await gst.stop();
      expect(rx.code, `gst-launch: ${rx.stderr}`).toBe(0);

      expectReceivedFromRtcpipe(`rtcpipe→gst ${video ? s.codec : "opus"}/${s.srtp}`, out, video ? { videoFrames: summary.video!.framesEncoded } : { audioFrames: summary.audio!.framesEncoded });
    });
  });
});
