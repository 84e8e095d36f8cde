import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BadFileError } from "../../src/errors.js";
import { createAudioFrame } from "../../src/media/audio-frame.js";
import { parseWavHeader } from "../../src/media/wav-header.js";
import { WavReader } from "../../src/media/wav-reader.js";
import { WavWriter } from "../../src/media/wav-writer.js";
import { SeededRandom } from "../../src/util/seeded-random.js";

const dir = mkdtempSync(join(tmpdir(), "rtcpipe-wav-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wavBytes(o: { rate?: number; channels?: number; bits?: number; format?: number; data?: Uint8Array; dataSize?: number; extra?: Uint8Array } = {}): Uint8Array {
  const channels = o.channels ?? 1, bits = o.bits ?? 16, rate = o.rate ?? 48000;
  const data = o.data ?? new Uint8Array(0);
  const extra = o.extra ?? new Uint8Array(0);
  const b = new Uint8Array(44 + extra.length + data.length);
  const dv = new DataView(b.buffer);
  const s = (at: number, t: string): void => { for (let i = 0; i < 4; i++) b[at + i] = t.charCodeAt(i); };
  s(0, "RIFF"); dv.setUint32(4, b.length - 8, true); s(8, "WAVE");
  s(12, "fmt "); dv.setUint32(16, 16, true); dv.setUint16(20, o.format ?? 1, true); dv.setUint16(22, channels, true);
  dv.setUint32(24, rate, true); dv.setUint32(28, rate * channels * (bits / 8), true); dv.setUint16(32, channels * (bits / 8), true); dv.setUint16(34, bits, true);
  b.set(extra, 36);
  s(36 + extra.length, "data"); dv.setUint32(40 + extra.length, o.dataSize ?? data.length, true);
  b.set(data, 44 + extra.length);
  return b;
}

describe("parseWavHeader", () => {
  it("parses PCM 16-bit and skips LIST chunks (with pad byte)", () => {
    const list = new Uint8Array(8 + 5 + 1);
    list.set([0x4c, 0x49, 0x53, 0x54, 5, 0, 0, 0]);
    const h = parseWavHeader(wavBytes({ channels: 2, data: new Uint8Array(40), extra: list }));
    expect(h).toMatchObject({ sampleRate: 48000, channels: 2, blockAlign: 4, dataOffset: 44 + 14, dataBytes: 40 });
  });

  it("takes the data size from the file size for streamed files (size 0 or 0xFFFFFFFF)", () => {
    expect(parseWavHeader(wavBytes({ data: new Uint8Array(10), dataSize: 0 })).dataBytes).toBe(10);
    expect(parseWavHeader(wavBytes({ data: new Uint8Array(10), dataSize: 0xffffffff })).dataBytes).toBe(10);
  });

  it.each([
    [{ bits: 8 }, "8-bit samples"],
    [{ bits: 24 }, "24-bit"],
    [{ format: 3, bits: 32 }, "format tag 3"],
    [{ channels: 0 }, "channel count 0"],
  ])("rejects %j", (o, reason) => {
    expect(() => parseWavHeader(wavBytes(o))).toThrow(new RegExp(`^Cannot read WAV: .*${reason}`));
  });

  it("rejects non-RIFF and truncated input", () => {
    expect(() => parseWavHeader(new TextEncoder().encode("YUV4MPEG2 W2"))).toThrow(/Cannot read WAV: it does not start with "RIFF"/);
    expect(() => parseWavHeader(wavBytes().subarray(0, 30))).toThrow(/truncated/);
  });

  it("fuzz: 10k random and mutated headers either parse sanely or throw BadFileError", () => {
    const valid = wavBytes({ channels: 2, data: new Uint8Array(16) });
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((muts) => {
        const b = valid.slice();
        for (const [i, v] of muts) b[i] = v;
        return b;
      }),
      fc.nat(valid.length).map((n) => valid.subarray(0, n)),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        try {
          const h = parseWavHeader(bytes);
          expect(h.bitsPerSample).toBe(16);
          expect(h.blockAlign).toBe(h.channels * 2);
          expect(h.dataOffset + h.dataBytes).toBeLessThanOrEqual(bytes.length);
          expect(h.dataBytes % h.blockAlign).toBe(0);
        } catch (err) {
          if (!(err instanceof BadFileError)) throw err;
          expect(err.message).toMatch(/^Cannot read WAV: /);
        }
      }),
      { numRuns: 10_000, seed: 43 },
    );
  });
});

describe("WavReader / WavWriter", () => {
  it("round-trips stereo frames and fixes up the RIFF sizes on close", () => {
    const rnd = new SeededRandom(9);
    const path = join(dir, "rt.wav");
    const w = new WavWriter(path, { channels: 2 });
    const frames = Array.from({ length: 4 }, (_, i) => {
      const f = createAudioFrame(2, 0, i);
      for (let k = 0; k < f.samples.length; k++) f.samples[k] = rnd.int(-32768, 32767);
      w.write(f);
      return f;
    });
    w.close();
    const bytes = readFileSync(path);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(4, true)).toBe(bytes.length - 8);
    expect(dv.getUint32(40, true)).toBe(4 * 960 * 4);
    const r = new WavReader(path);
    expect(r.frameCount).toBe(4);
    for (let i = 0; i < 4; i++) expect(r.next()!.samples).toEqual(frames[i]!.samples);
    expect(r.next()).toBeUndefined();
    expect(r.frameAt(2)!.captureTimeUs).toBe(40_000);
    r.close();
  });

  it("reads what sox writes and pads the last frame", () => {
    const path = join(dir, "sox.wav");
    execFileSync("sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", path, "synth", "0.05", "sine", "440"]);
    const r = new WavReader(path);
    expect(r.frameCount).toBe(3); // 2400 samples = 2.5 frames
    const last = r.frameAt(2)!;
    expect(last.samples.subarray(480).every((s) => s === 0)).toBe(true);
    expect(last.samples.subarray(0, 480).some((s) => s !== 0)).toBe(true);
    r.close();
  });

  it("rejects 22.05 kHz with the sox fix, or resamples when asked", () => {
    const path = join(dir, "22k.wav");
    execFileSync("sox", ["-n", "-r", "22050", "-c", "1", "-b", "16", path, "synth", "1", "sine", "300"]);
    expect(() => new WavReader(path)).toThrow(BadFileError);
    expect(() => new WavReader(path)).toThrow(/sox in\.wav -r 48000 out\.wav/);
    const r = new WavReader(path, { resample: true });
    expect(r.frameCount).toBe(50);
    // A 300 Hz sine survives: count zero crossings in 20 ms (≈ 12).
    const f = r.frameAt(10)!;
    let zc = 0;
    for (let i = 1; i < 960; i++) if ((f.samples[i - 1]! < 0) !== (f.samples[i]! < 0)) zc++;
    expect(zc).toBeGreaterThanOrEqual(11);
    expect(zc).toBeLessThanOrEqual(13);
    r.close();
  });

  it("maps channels: mono to stereo duplicates, stereo to mono averages", () => {
    const path = join(dir, "st.wav");
    const data = new Uint8Array(960 * 4);
    const dv = new DataView(data.buffer);
    for (let i = 0; i < 960; i++) { dv.setInt16(4 * i, 1000, true); dv.setInt16(4 * i + 2, 3000, true); }
    writeFileSync(path, wavBytes({ channels: 2, data }));
    const mono = new WavReader(path, { channels: 1 });
    expect(mono.frameAt(0)!.samples[5]).toBe(2000);
    mono.close();
    const one = join(dir, "one.wav");
    writeFileSync(one, wavBytes({ channels: 1, data: data.subarray(0, 1920) }));
    const st = new WavReader(one, { channels: 2 });
    const s = st.frameAt(0)!.samples;
    expect([s[0], s[1], s[2], s[3]]).toEqual([1000, 1000, 3000, 3000]);
    st.close();
  });
});
