/**
 * Feeding raw frames through the pipeline API: a send chain and a receive chain of stage
 * cores, joined by "the wire" (here a function call; use UdpTransport or EmulatedNetwork for a
 * network). Run with: npx tsx examples/push-frames.ts
 */
import {
  Depacketizer,
  mapStage,
  Packetizer,
  pipeline,
  PushSource,
  ReorderBuffer,
  RtpPacket,
  SrtpProtectStage,
  SrtpUnprotectStage,
  TestPatternSource,
  VpxDecoder,
  VpxEncoder,
  psnr,
  type VideoFrame,
} from "../src/index.js";

export async function pushFramesExample(frames = 30): Promise<{ decoded: number; meanPsnrDb: number; stats: Record<string, number> }> {
  const width = 320;
  const height = 240;
  const keys = { suite: "AEAD_AES_128_GCM" as const, masterKey: new Uint8Array(16).fill(7), masterSalt: new Uint8Array(12).fill(9) };

  // Send: raw I420 frames in, SRTP datagrams out.
  const send = pipeline(
    PushSource.video({ width, height }),
    await VpxEncoder.create({ codec: "vp8", width, height, fps: 30, bitrateBps: 500_000 }),
    new Packetizer({ codec: "vp8", payloadType: 96, ssrc: 0x1234, mtuBytes: 1200 }),
    mapStage("serialize", (p: RtpPacket) => p.serialize()),
    new SrtpProtectStage({ session: keys, kind: "rtp" }),
  );

  // Receive: SRTP datagrams in, decoded frames out.
  const receive = pipeline(
    new SrtpUnprotectStage({ session: keys, kind: "rtp" }),
    mapStage("parse", (bytes: Uint8Array) => RtpPacket.parse(bytes)),
    new ReorderBuffer<RtpPacket>(),
    new Depacketizer({ codec: "vp8", payloadType: 96 }),
    await VpxDecoder.create({ codec: "vp8" }),
  );

  const source = new TestPatternSource({ width, height, fps: 30 });
  let decoded = 0;
  let psnrSum = 0;
  send.pipe(receive); // the "wire"
  receive.pipe({
    push: (frame: VideoFrame) => {
      decoded++;
      // The receiver knows nothing of the sender's frame numbers: read the pattern's barcode.
      const index = source.readFrameIndex(frame);
      if (index >= 0) psnrSum += psnr(source.frameAt(index), frame).y;
    },
  });

  for (let i = 0; i < frames; i++) {
    const nowUs = Math.round((i * 1e6) / 30);
    const frame = source.frameAt(i);
    frame.captureTimeUs = nowUs;
    send.push(frame, nowUs);
  }
  const stats = { ...send.stats(), ...receive.stats() };
  send.close();
  receive.close();
  return { decoded, meanPsnrDb: psnrSum / Math.max(1, decoded), stats };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await pushFramesExample();
  console.log(`decoded ${r.decoded} frames, mean PSNR ${r.meanPsnrDb.toFixed(2)} dB`);
}
