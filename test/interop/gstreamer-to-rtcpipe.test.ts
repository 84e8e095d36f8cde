/**
 * `rtcpipe receive` RECEIVES what GStreamer 1.22 sends: VP8, VP9, Opus over plain RTP, SRTP
 * AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM (srtpenc, 28-byte key for GCM). The video
 * source is a deterministic ffmpeg testsrc2 clip fed through `filesrc ! y4mdec`; rtcpipe's
 * decoded Y4M is compared with it frame by frame (aligned: best start offset, then monotonic
 * matching). The audio source is the speech-like test signal written to a WAV file.
 * GStreamer's plain udpsink sends no RTCP BYE, so rtcpipe stops on --idle-timeout.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import type { ReceiveSummary } from "../../src/cli/receive-command.js";
import { gstSrtpParams, hex, makeClip, readY4m, startPeer, startRtcpipe, freeUdpPorts, tempDir, testKey, toolsAvailable, waitUdpPort, writeSpeechWav, type StreamUnderTest, expectRtcpipeDecoded } from "./interop-harness.js";
import type { VideoFrame } from "../../src/media/video-frame.js";

const run = toolsAvailable("GStreamer → rtcpipe", ["gst-launch-1.0", "ffmpeg"]);
const CLIP_FRAMES = 75;
const AUDIO_FRAMES = 150; // 3 s

const matrix: StreamUnderTest[] = [];
for (const srtp of ["none", "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] as const) for (const codec of ["vp8", "vp9", "opus"] as const) matrix.push({ codec, srtp });

describe.skipIf(!run)("GStreamer send → rtcpipe receive", () => {
  const media = run ? tempDir("gst-src") : "";
  const clip = join(media, "clip.y4m");
  const wav = join(media, "speech.wav");
  let reference: VideoFrame[] = [];
  beforeAll(() => {
    makeClip(clip, CLIP_FRAMES);
    writeSpeechWav(wav, AUDIO_FRAMES);
    reference = readY4m(clip);
  });

  matrix.forEach((s, k) => {
    it(`${s.codec} over ${s.srtp === "none" ? "RTP" : `SRTP ${s.srtp}`}`, { timeout: 40_000 }, async () => {
      const port = await freeUdpPorts();
      const dir = tempDir(`gst-tx-${s.codec}-${k}`);
      const video = s.codec !== "opus";
      const pt = video ? (s.codec === "vp8" ? 96 : 98) : 111;
      const ssrc = 0x30000 + k;
      const suite = s.srtp === "none" ? undefined : SRTP_SUITES[s.srtp];
      const key = suite ? testKey(suite.keyLength + suite.saltLength, 100 + k) : undefined;
      const out = join(dir, video ? "rx.y4m" : "rx.wav");
      const summaryFile = join(dir, "summary.json");
      const rxArgs = ["receive", "--port", String(port), video ? "--video" : "--audio", s.codec, "--pt", String(pt), video ? "--out-video" : "--out-audio", out, "--summary", summaryFile, "--timeout", "25", "--idle-timeout", "1.5"];
      if (suite) rxArgs.push("--srtp", s.srtp, "--key", Buffer.from(key!).toString("base64"));
      const rx = startRtcpipe(rxArgs, 30);
      await waitUdpPort(port, 15_000, rx);

      const encode = video
        ? ["filesrc", `location=${clip}`, "!", "y4mdec", "!", "videoconvert", "!",
          ...(s.codec === "vp8"
            ? ["vp8enc", "deadline=1", "keyframe-max-dist=30", "target-bitrate=800000", "!", "rtpvp8pay", `pt=${pt}`, `ssrc=${ssrc}`, "picture-id-mode=15-bit", "mtu=1200"]
            : ["vp9enc", "deadline=1", "cpu-used=8", "keyframe-max-dist=30", "target-bitrate=800000", "!", "rtpvp9pay", `pt=${pt}`, `ssrc=${ssrc}`, "mtu=1200"])]
        : ["filesrc", `location=${wav}`, "!", "wavparse", "!", "audioconvert", "!", "audioresample", "!", "opusenc", "bitrate=32000", "frame-size=20", "!", "rtpopuspay", `pt=${pt}`, `ssrc=${ssrc}`];
      const protect = suite
        ? (() => {
            const p = gstSrtpParams(s.srtp as "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM");
            return ["!", "srtpenc", `key=${hex(key!)}`, `rtp-cipher=${p.cipher}`, `rtp-auth=${p.auth}`, `rtcp-cipher=${p.cipher}`, `rtcp-auth=${p.auth}`];
          })()
        : [];
      const tx = await startPeer("gst-launch-1.0", ["-q", ...encode, ...protect, "!", "udpsink", "host=127.0.0.1", `port=${port}`], 30).done;
      expect(tx.code, `gst-launch: ${tx.stderr}`).toBe(0);
      const r = await rx.done;
      expect(r.code, `rtcpipe receive: ${r.stderr}`).toBe(0);
      const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as ReceiveSummary;
      expect(summary.srtpAuthFailures).toBe(0);
      expect(summary.malformedDropped).toBe(0);

      expectRtcpipeDecoded(`gst→rtcpipe ${video ? s.codec : "opus"}/${s.srtp}`, out, summary, video ? { reference, clipFrames: CLIP_FRAMES } : { audioFrames: AUDIO_FRAMES });
    });
  });
});
