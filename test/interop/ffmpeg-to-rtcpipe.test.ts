/**
 * `rtcpipe receive` RECEIVES what ffmpeg 5.1 sends (`-re -i clip.y4m ... -f rtp`): VP8, VP9
 * (ffmpeg's experimental draft packetizer), Opus over plain RTP and SRTP
 * AES_CM_128_HMAC_SHA1_80. ffmpeg sends RTCP SR to port+1, and with `-rtpflags send_bye` a
 * BYE at the end, so rtcpipe stops on the BYE. Also: rtcpipe parses the SDP ffmpeg writes
 * (`-sdp_file`; ffmpeg marks SRTP streams RTP/AVP with an a=crypto line).
 *
 * Named exclusion — AEAD_AES_128_GCM: ffmpeg 5.1 cannot send it (`-srtp_out_suite
 * AEAD_AES_128_GCM` fails with "Invalid argument": libavformat/srtp.c has only the AES_CM
 * suites). rtcpipe's GCM receive path is covered by the GStreamer suite.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ReceiveSummary } from "../../src/cli/receive-command.js";
import type { VideoFrame } from "../../src/media/video-frame.js";
import { parseSdp } from "../../src/sdp/parse-sdp.js";
import { rtpStreamsFromSessionDescription } from "../../src/sdp/rtp-stream-description.js";
import { SRTP_SUITES } from "../../src/srtp/srtp-suite.js";
import { makeClip, readY4m, startPeer, startRtcpipe, freeUdpPorts, tempDir, testKey, toolsAvailable, waitUdpPort, writeSpeechWav, type StreamUnderTest, expectRtcpipeDecoded } from "./interop-harness.js";

const run = toolsAvailable("ffmpeg → rtcpipe", ["ffmpeg"]);
const CLIP_FRAMES = 75;
const AUDIO_FRAMES = 150;

const matrix: StreamUnderTest[] = [];
for (const srtp of ["none", "AES_CM_128_HMAC_SHA1_80"] as const) for (const codec of ["vp8", "vp9", "opus"] as const) matrix.push({ codec, srtp });

function ffmpegSendArgs(s: StreamUnderTest, input: string, pt: number, ssrc: number, port: number, key?: Uint8Array, sdpFile?: string): string[] {
  const enc =
    s.codec === "vp8"
      ? ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "800k", "-g", "30"]
      : s.codec === "vp9"
        ? ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "800k", "-g", "30", "-strict", "experimental"]
        : ["-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-ac", "1"];
  const srtp = key ? ["-srtp_out_suite", s.srtp, "-srtp_out_params", Buffer.from(key).toString("base64")] : [];
  const url = `${key ? "srtp" : "rtp"}://127.0.0.1:${port}`;
  return ["-nostdin", "-loglevel", "warning", "-re", "-i", input, ...enc, "-payload_type", String(pt), "-ssrc", String(ssrc), "-f", "rtp", "-rtpflags", "send_bye", ...srtp, url, ...(sdpFile ? ["-sdp_file", sdpFile] : [])];
}

describe.skipIf(!run)("ffmpeg send → rtcpipe receive", () => {
  const media = run ? tempDir("ff-src") : "";
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
      const dir = tempDir(`ff-tx-${s.codec}-${k}`);
      const video = s.codec !== "opus";
      const pt = video ? (s.codec === "vp8" ? 96 : 98) : 111;
      const ssrc = 0x40000 + k;
      const suite = s.srtp === "none" ? undefined : SRTP_SUITES[s.srtp];
      const key = suite ? testKey(suite.keyLength + suite.saltLength, 150 + k) : undefined;
      const out = join(dir, video ? "rx.y4m" : "rx.wav");
      const summaryFile = join(dir, "summary.json");
      const rxArgs = ["receive", "--port", String(port), video ? "--video" : "--audio", s.codec, "--pt", String(pt), video ? "--out-video" : "--out-audio", out, "--summary", summaryFile, "--timeout", "25", "--idle-timeout", "3"];
      if (suite) rxArgs.push("--srtp", s.srtp, "--key", Buffer.from(key!).toString("base64"));
      const rx = startRtcpipe(rxArgs, 30);
      await waitUdpPort(port, 15_000, rx);
      const tx = await startPeer("ffmpeg", ffmpegSendArgs(s, video ? clip : wav, pt, ssrc, port, key), 30).done;
      expect(tx.code, `ffmpeg: ${tx.stderr}`).toBe(0);
      const r = await rx.done;
      expect(r.code, `rtcpipe receive: ${r.stderr}`).toBe(0);
      const summary = JSON.parse(readFileSync(summaryFile, "utf8")) as ReceiveSummary;
      expect(summary.stoppedBy).toBe("bye");
      expect(summary.srtpAuthFailures).toBe(0);
      expect(summary.malformedDropped).toBe(0);

      expectRtcpipeDecoded(`ffmpeg→rtcpipe ${video ? s.codec : "opus"}/${s.srtp}`, out, summary, video ? { reference, clipFrames: CLIP_FRAMES } : { audioFrames: AUDIO_FRAMES });
    });
  });

  it("parses the SDP ffmpeg writes (VP8 + Opus, SRTP a=crypto)", { timeout: 20_000 }, async () => {
    const dir = tempDir("ff-sdp");
    const p = await freeUdpPorts();
    const sdp = join(dir, "ff.sdp");
    const key = testKey(30, 7);
    const b64 = Buffer.from(key).toString("base64");
    // 0.3 s of each to a closed port: enough for ffmpeg to write its SDP.
    const r = await startPeer(
      "ffmpeg",
      ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=30:duration=0.3", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.3",
        "-map", "0:v", "-c:v", "libvpx", "-deadline", "realtime", "-payload_type", "96", "-f", "rtp", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", b64, `srtp://127.0.0.1:${p}`,
        "-map", "1:a", "-c:a", "libopus", "-payload_type", "111", "-f", "rtp", "-srtp_out_suite", "AES_CM_128_HMAC_SHA1_80", "-srtp_out_params", b64, `srtp://127.0.0.1:${p + 2}`, "-sdp_file", sdp],
      20,
    ).done;
    expect(r.code, r.stderr).toBe(0);
    const streams = rtpStreamsFromSessionDescription(parseSdp(readFileSync(sdp, "utf8"), { name: sdp }), sdp);
    expect(streams.map((x) => [x.codec, x.payloadType, x.port, x.srtp?.suite])).toEqual([
      ["vp8", 96, p, "AES_CM_128_HMAC_SHA1_80"],
      ["opus", 111, p + 2, "AES_CM_128_HMAC_SHA1_80"],
    ]);
    expect(Buffer.from(streams[0]!.srtp!.masterKey).equals(Buffer.from(key.subarray(0, 16)))).toBe(true);
  });
});
